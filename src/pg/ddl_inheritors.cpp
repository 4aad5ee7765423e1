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
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "nodes/parsenodes.h"
#include "tcop/deparse_utility.h"
#include "utils/array.h"
#include "nodes/pg_list.h"
#include "utils/lsyscache.h"
}

namespace {
// The children of parent whose pg_inherits row this transaction wrote and whose name is the one
// the ATTACH PARTITION command gave (in the schema it gave, if any), appended to *out.
List* attached_here(Oid parent, const RangeVar* name, List* out) {
    Oid schema = name->schemaname != nullptr ? get_namespace_oid(name->schemaname, false) : InvalidOid;
    Relation inh = table_open(InheritsRelationId, AccessShareLock);
    ScanKeyData key;
    ScanKeyInit(&key, Anum_pg_inherits_inhparent, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(parent));
    SysScanDesc scan = systable_beginscan(inh, InheritsParentIndexId, true, nullptr, 1, &key);
    HeapTuple tup;
    bool any = false;
    while ((tup = systable_getnext(scan)) != nullptr) {
        if (!TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(tup->t_data))) continue;
        Oid child = reinterpret_cast<Form_pg_inherits>(GETSTRUCT(tup))->inhrelid;
        char kind = get_rel_relkind(child);
        if (kind == RELKIND_INDEX || kind == RELKIND_PARTITIONED_INDEX) continue;
        any = true;
        char* relname = get_rel_name(child);
        if (relname == nullptr || strcmp(relname, name->relname) != 0) continue;
        if (OidIsValid(schema) && get_rel_namespace(child) != schema) continue;
        out = lappend_oid(out, child);
    }
    systable_endscan(scan);
    table_close(inh, AccessShareLock);
    if (any && out == NIL)
        ereport(ERROR, (errextension(), errcode(ERRCODE_INTERNAL_ERROR),
                        errmsg("hive_tokens: cannot tell which table ATTACH PARTITION attached to %s", get_rel_name(parent))));
    return out;
}
}  // namespace

HT_FUNCTION(added_inheritors) {
    auto* cmd = reinterpret_cast<CollectedCommand*>(PG_GETARG_POINTER(0));
    List* found = NIL;
    if (cmd->type == SCT_Simple && cmd->parsetree != nullptr &&
        (IsA(cmd->parsetree, CreateStmt) || IsA(cmd->parsetree, CreateForeignTableStmt))) {
        // CreateForeignTableStmt begins with a CreateStmt
        auto* create = reinterpret_cast<CreateStmt*>(cmd->parsetree);
        if ((create->inhRelations != NIL || create->partbound != nullptr) &&
            cmd->d.simple.address.classId == RelationRelationId && OidIsValid(cmd->d.simple.address.objectId))
            found = lappend_oid(found, cmd->d.simple.address.objectId);
    } else if (cmd->type == SCT_AlterTable && cmd->d.alterTable.classId == RelationRelationId) {
        ListCell* lc;
        foreach (lc, cmd->d.alterTable.subcmds) {
            auto* sub = static_cast<CollectedATSubcmd*>(lfirst(lc));
            if (sub->parsetree == nullptr || !IsA(sub->parsetree, AlterTableCmd)) continue;
            auto* at = reinterpret_cast<AlterTableCmd*>(sub->parsetree);
            if (at->subtype == AT_AddInherit) {
                found = lappend_oid(found, cmd->d.alterTable.objectId);
            } else if (at->subtype == AT_AttachPartition && at->def != nullptr && IsA(at->def, PartitionCmd)) {
                // PostgreSQL 15 records no address for this subcommand. Resolving the name the
                // command gave could find another table (the command may have changed the
                // search_path, in a partition-key expression): the table is the child of this
                // parent whose link this transaction wrote and whose name (and schema, if given)
                // the command gave. An index attached to a partitioned index is no table.
                found = attached_here(cmd->d.alterTable.objectId, reinterpret_cast<PartitionCmd*>(at->def)->name, found);
            }
        }
    }
    int n = list_length(found);
    Datum* elems = static_cast<Datum*>(palloc(sizeof(Datum) * (n > 0 ? n : 1)));
    int i = 0;
    ListCell* lc;
    foreach (lc, found) elems[i++] = ObjectIdGetDatum(lfirst_oid(lc));
    PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, REGCLASSOID, sizeof(Oid), true, TYPALIGN_INT));
}
