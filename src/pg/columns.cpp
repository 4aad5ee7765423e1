#include "columns.h"

extern "C" {
#include "catalog/pg_attribute.h"
}

#include <cstring>

int hive_tokens::pg::column_index(TupleDesc desc, const char* table, const char* name) {
    for (int i = 0; i < desc->natts; ++i) {
        Form_pg_attribute a = TupleDescAttr(desc, i);
        if (!a->attisdropped && strcmp(NameStr(a->attname), name) == 0) return i;
    }
    ereport(ERROR, (errextension(), errcode(ERRCODE_UNDEFINED_COLUMN), errmsg("hive_tokens.%s has no column \"%s\"", table, name),
                    errhint("The extension's tables must keep the columns its install script created.")));
    return -1;
}
