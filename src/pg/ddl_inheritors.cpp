// hive_tokens_internal.added_inheritors(pg_ddl_command) -> regclass[]: the tables a DDL command
// made inherit from another (CREATE TABLE ... PARTITION OF / INHERITS, CREATE FOREIGN TABLE ...
// PARTITION OF, ALTER TABLE ... ATTACH PARTITION, ALTER [FOREIGN] TABLE ... INHERIT). Used by
// the event trigger that gives them the policies of a protected ancestor (protect_inheritors()): it
// reacts to structure, never to ENABLE ROW LEVEL SECURITY or CREATE POLICY, so its own statements
// and a restore's never set it off again.
#include "guard.h"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_inherits.h"
#include "utils/fmgroids.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "nodes/parsenodes.h"
#include "tcop/deparse_utility.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
}

namespace {
// Calls add(child) for each child of parent whose pg_inherits row this transaction wrote.
template <typename Add>
void attached_here(Oid parent, Add&& add) {
    Relation inh = table_open(InheritsRelationId, AccessShareLock);
    ScanKeyData key;
    ScanKeyInit(&key, Anum_pg_inherits_inhparent, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(parent));
    SysScanDesc scan = systable_beginscan(inh, InheritsParentIndexId, true, nullptr, 1, &key);
    HeapTuple tup;
    while ((tup = systable_getnext(scan)) != nullptr) {
        if (!TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(tup->t_data))) continue;
        Oid child = reinterpret_cast<Form_pg_inherits>(GETSTRUCT(tup))->inhrelid;
        char kind = get_rel_relkind(child);
        if (kind != RELKIND_INDEX && kind != RELKIND_PARTITIONED_INDEX) add(child);
    }
    systable_endscan(scan);
    table_close(inh, AccessShareLock);
}
}  // namespace

HT_FUNCTION(added_inheritors) {
    auto* cmd = reinterpret_cast<CollectedCommand*>(PG_GETARG_POINTER(0));
    Datum found[64];
    int n = 0;
    auto add = [&](Oid relid) {
        if (OidIsValid(relid) && n < static_cast<int>(lengthof(found))) found[n++] = ObjectIdGetDatum(relid);
    };
    if (cmd->type == SCT_Simple && cmd->parsetree != nullptr &&
        (IsA(cmd->parsetree, CreateStmt) || IsA(cmd->parsetree, CreateForeignTableStmt))) {
        // CreateForeignTableStmt begins with a CreateStmt
        auto* create = reinterpret_cast<CreateStmt*>(cmd->parsetree);
        if ((create->inhRelations != NIL || create->partbound != nullptr) &&
            cmd->d.simple.address.classId == RelationRelationId)
            add(cmd->d.simple.address.objectId);
    } else if (cmd->type == SCT_AlterTable && cmd->d.alterTable.classId == RelationRelationId) {
        ListCell* lc;
        foreach (lc, cmd->d.alterTable.subcmds) {
            auto* sub = static_cast<CollectedATSubcmd*>(lfirst(lc));
            if (sub->parsetree == nullptr || !IsA(sub->parsetree, AlterTableCmd)) continue;
            auto* at = reinterpret_cast<AlterTableCmd*>(sub->parsetree);
            if (at->subtype == AT_AddInherit) {
                add(cmd->d.alterTable.objectId);
            } else if (at->subtype == AT_AttachPartition) {
                // PostgreSQL 15 records no address for this subcommand, and looking the attached
                // table up by the name the command gave could find another one (the command may
                // have changed the search_path, in a partition-key expression). The table is the
                // one whose pg_inherits row under this parent this transaction wrote: every such
                // row is taken (more ATTACHes earlier in the transaction are protected again,
                // which changes nothing). An index attached to a partitioned index is no table.
                attached_here(cmd->d.alterTable.objectId, add);
            }
        }
    }
    PG_RETURN_ARRAYTYPE_P(construct_array(found, n, REGCLASSOID, sizeof(Oid), true, TYPALIGN_INT));
}
