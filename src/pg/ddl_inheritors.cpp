// _added_inheritors(pg_ddl_command) -> regclass[]: the tables a DDL command made inherit from
// another (CREATE TABLE ... PARTITION OF / INHERITS, CREATE FOREIGN TABLE ... PARTITION OF,
// ALTER TABLE ... ATTACH PARTITION, ALTER [FOREIGN] TABLE ... INHERIT). Used by the event trigger
// that gives them the policies of a protected ancestor (hive_tokens._protect_inheritors()): it
// reacts to structure, never to ENABLE ROW LEVEL SECURITY or CREATE POLICY, so its own statements
// and a restore's never set it off again.
#include "guard.h"

extern "C" {
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "nodes/parsenodes.h"
#include "tcop/deparse_utility.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
}

HT_FUNCTION(hive_tokens_added_inheritors) {
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
                // PostgreSQL 15 records no address for this subcommand: the attached relation is
                // looked up by its name, under the search_path the command ran with (the caller
                // of this function must not change it), and a name that does not resolve is an
                // error, never a table silently left out. An index attached to a partitioned
                // index is no table.
                Oid attached = sub->address.classId == RelationRelationId ? sub->address.objectId : InvalidOid;
                if (!OidIsValid(attached) && at->def != nullptr && IsA(at->def, PartitionCmd))
                    attached = RangeVarGetRelid(reinterpret_cast<PartitionCmd*>(at->def)->name, NoLock, false);
                if (!OidIsValid(attached))
                    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                                    errmsg("hive_tokens: cannot tell which relation ATTACH PARTITION attached")));
                char kind = get_rel_relkind(attached);
                if (kind != RELKIND_INDEX && kind != RELKIND_PARTITIONED_INDEX) add(attached);
            }
        }
    }
    PG_RETURN_ARRAYTYPE_P(construct_array(found, n, REGCLASSOID, sizeof(Oid), true, TYPALIGN_INT));
}
