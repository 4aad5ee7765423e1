// Google Benchmark: one CompiledPolicy::check against the reference evaluate_reference() on the same
// statements (a token with five permissions on ten projects, as Hive resolves it).
// Built by CMake when Google Benchmark is installed; run by bench/run.sh.
#include <benchmark/benchmark.h>
#include <sodium.h>

#include "assignment.h"
#include "permission_catalog.h"
#include "policy.h"

using namespace hive_tokens::core;

namespace {

struct Fixture {
    PermissionCatalog cat = PermissionCatalog::builtin();
    std::vector<Statement> statements;
    std::vector<Uuid> projects;
    Uuid org{}, target{};

    Fixture() {
        if (sodium_init() < 0) std::abort();
        randombytes_buf(org.b, 16);
        randombytes_buf(target.b, 16);
        Assignment a;
        a.all = false;
        for (int i = 0; i < 10; ++i) {
            ProjectAssignment p;
            randombytes_buf(p.id.b, 16);
            projects.push_back(p.id);
            a.projects.push_back(p);
        }
        std::sort(a.projects.begin(), a.projects.end(),
                  [](const ProjectAssignment& x, const ProjectAssignment& y) { return x.id < y.id; });
        statements = resolve(cat.parse("{project:describe,usage:report,traces:report,schemaCheck:create,schemaVersion:publish}"),
                             a, org, cat);
    }
};

const Fixture& fixture() {
    static const Fixture f;
    return f;
}

void BM_CompiledCheck(benchmark::State& state) {
    const Fixture& f = fixture();
    CompiledPolicy compiled(f.statements, f.cat);
    const Permission* action = f.cat.find("usage:report");
    std::size_t i = 0;
    for (auto _ : state) {
        const Uuid& project = f.projects[i++ % f.projects.size()];
        Request r = make_request(*action, f.org, nullptr, &project, &f.target, nullptr, nullptr);
        benchmark::DoNotOptimize(compiled.check(r));
    }
}
BENCHMARK(BM_CompiledCheck);

void BM_ReferenceEvaluate(benchmark::State& state) {
    const Fixture& f = fixture();
    const Permission* action = f.cat.find("usage:report");
    std::size_t i = 0;
    for (auto _ : state) {
        const Uuid& project = f.projects[i++ % f.projects.size()];
        Request r = make_request(*action, f.org, nullptr, &project, &f.target, nullptr, nullptr);
        benchmark::DoNotOptimize(evaluate_reference(f.statements, r));
    }
}
BENCHMARK(BM_ReferenceEvaluate);

}  // namespace

BENCHMARK_MAIN();
