// Loading the server keyring from hive_tokens.key_file (src/core/keyring.h holds the format):
// creating the default key file, checking the file's mode, reloading only when the file changed
// (device, inode, size, mode, time), and errors that show the path only to sessions allowed to
// see the setting.
#include "keyring_loader.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "../core/error.h"
#include "guard.h"

extern "C" {
#include "access/genam.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid_d.h"
#include "utils/acl.h"
#include "access/htup_details.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

namespace hive_tokens::pg {

char* key_file_setting = nullptr;

namespace {

constexpr const char* kDefaultKeyFile = "hive_tokens.key";

core::Keyring g_keyring;
bool g_loaded = false;
std::string g_path;
struct stat g_stat;
TimestampTz g_checked_at = 0;
// How often the key file is stat()ed for changes (edits take effect within this time; a new
// hive_tokens.key_file setting takes effect at once).
constexpr TimestampTz kRecheckMicroseconds = 1000000;

const char* const kKeyHint =
    "Set hive_tokens.key_file (superuser only) to a readable key file, or leave it empty to use "
    "$PGDATA/hive_tokens.key; see the README, section \"The server key\".";

[[noreturn]] void file_error(core::ErrorKind kind, const std::string& what, const std::string& path, int err) {
    throw core::Error(kind, what + " key file \"" + path + "\": " + strerror(err), "", kKeyHint);
}

bool same_file(const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size && a.st_mode == b.st_mode &&
           a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
           a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

// Whether this database already holds token hashes (live or revoked). Then a missing default
// key file is a lost key, and creating a new one would only make matters worse. Rows without a
// key id (tokens imported from Hive, still checked by Hive's bcrypt) need no key.
bool database_has_tokens() {
    bool found = false;
    pg_call([&]() noexcept {
        Oid nsp = get_namespace_oid("hive_tokens", true);
        for (const char* name : {"access_tokens", "revoked_tokens"}) {
            Oid relid = OidIsValid(nsp) ? get_relname_relid(name, nsp) : InvalidOid;
            if (!OidIsValid(relid)) continue;  // CREATE EXTENSION still running
            Relation rel = table_open(relid, AccessShareLock);
            SysScanDesc scan = systable_beginscan(rel, InvalidOid, false,
                                                  IsInParallelMode() ? GetActiveSnapshot() : GetLatestSnapshot(), 0, nullptr);
            const AttrNumber key_id = get_attnum(relid, "key_id");
            for (HeapTuple tup; !found && HeapTupleIsValid(tup = systable_getnext(scan));) {
                bool isnull = false;
                if (key_id != InvalidAttrNumber) (void)heap_getattr(tup, key_id, RelationGetDescr(rel), &isnull);
                found = !isnull;
            }
            systable_endscan(scan);
            table_close(rel, AccessShareLock);
        }
    });
    return found;
}

// Creates the default key file atomically: the content goes to a private temporary file which
// is then hard-linked to the final name. link() fails with EEXIST if another backend won the
// race, in which case its key is the one everybody uses.
void create_default_key_file(const std::string& path) {
    std::string tmp = path + ".tmp." + std::to_string(getpid());
    unlink(tmp.c_str());
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
    if (fd < 0) file_error(core::ErrorKind::IoError, "could not create", tmp, errno);
    std::string content = core::new_key_file_content();
    bool ok = write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) && fsync(fd) == 0;
    int saved = errno;
    core::wipe_string(&content);
    close(fd);
    if (!ok) {
        unlink(tmp.c_str());
        file_error(core::ErrorKind::IoError, "could not write", tmp, saved);
    }
    if (link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
        saved = errno;
        unlink(tmp.c_str());
        file_error(core::ErrorKind::IoError, "could not install", path, saved);
    }
    unlink(tmp.c_str());
    int dfd = open(".", O_RDONLY | O_CLOEXEC);  // the data directory: make the new name durable
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    pg_call([&]() noexcept {
        // errhidestmt: a LOG line would otherwise carry the current statement, which may hold a token.
        ereport(LOG_SERVER_ONLY, (errmsg("hive_tokens: created a new server key file \"%s\"", path.c_str()),
                      errhint("Back it up apart from the database: tokens cannot be verified without it."),
                      errhidestmt(true), errhidecontext(true)));
    });
}

void check_mode(const std::string& path, const struct stat& st) {
    // As PostgreSQL does for ssl_key_file: owned by us with no group/other access, or owned by
    // root with at most group read.
    bool ours = st.st_uid == geteuid();
    mode_t forbidden = ours ? (S_IRWXG | S_IRWXO) : (S_IWGRP | S_IXGRP | S_IRWXO);
    if (!S_ISREG(st.st_mode))
        throw core::Error(core::ErrorKind::ConfigFile, "key file \"" + path + "\" is not a regular file", "", kKeyHint);
    if (!ours && st.st_uid != 0)
        throw core::Error(core::ErrorKind::ConfigFile,
                          "key file \"" + path + "\" must be owned by the database server user or root", "", kKeyHint);
    if (st.st_mode & forbidden)
        throw core::Error(core::ErrorKind::ConfigFile, "key file \"" + path + "\" has group or world access",
                          "", "Run chmod 0600 on it (0640 if owned by root).");
}

// Opens the file, then checks the mode of what was opened (not of what a path named a moment
// earlier), then reads it. *st receives the opened file's status.
void load(const std::string& path, struct stat* st) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) file_error(core::ErrorKind::IoError, "could not open", path, errno);
    if (fstat(fd, st) != 0) {
        int saved = errno;
        close(fd);
        file_error(core::ErrorKind::IoError, "could not stat", path, saved);
    }
    try {
        check_mode(path, *st);
    } catch (...) {
        close(fd);
        throw;
    }
    std::string buf(core::kMaxKeyFileBytes + 1, '\0');
    ssize_t total = 0;
    while (total < static_cast<ssize_t>(buf.size())) {
        ssize_t n = read(fd, &buf[total], buf.size() - total);
        if (n < 0) {
            int saved = errno;
            close(fd);
            core::wipe_string(&buf);
            file_error(core::ErrorKind::IoError, "could not read", path, saved);
        }
        if (n == 0) break;
        total += n;
    }
    close(fd);
    try {
        core::parse_keyring(buf.data(), static_cast<std::size_t>(total), path, &g_keyring);
    } catch (...) {
        core::wipe_string(&buf);
        throw;
    }
    core::wipe_string(&buf);
}

}  // namespace

void invalidate_keyring() noexcept {
    g_keyring.wipe();
    g_loaded = false;
    g_checked_at = 0;
}

namespace {
const core::Keyring& load_current_keyring();

// Whether the person behind this session may see hive_tokens.key_file (a superuser, or a member of
// pg_read_all_settings, as for any superuser-only setting). The session user decides, not the
// current user: SECURITY DEFINER functions such as issue() run as their owner.
bool may_see_key_file() {
    bool may = false;
    pg_call([&]() noexcept {
        Oid who = GetSessionUserId();
        may = superuser_arg(who) || has_privs_of_role(who, ROLE_PG_READ_ALL_SETTINGS);
    });
    return may;
}
}  // namespace

// Errors about the key file name the file, its line and the system error: to roles that may see
// the setting. Everyone else gets the same SQLSTATE and a message without the path, and the full
// message goes to the server log.
const core::Keyring& current_keyring() {
    try {
        return load_current_keyring();
    } catch (const core::Error& e) {
        if (may_see_key_file()) throw;
        std::string full = e.what();
        pg_call([&]() noexcept {
            ereport(LOG_SERVER_ONLY, (errmsg("hive_tokens: %s", full.c_str()), errhidestmt(true), errhidecontext(true)));
        });
        throw core::Error(e.kind(), "the server key file of hive_tokens is not usable", "",
                          "A superuser can see why in the server log, or by running the same call.");
    }
}

namespace {
const core::Keyring& load_current_keyring() {
    static bool locked = false;
    if (!locked) {
        sodium_mlock(&g_keyring, sizeof g_keyring);  // best effort: RLIMIT_MEMLOCK may refuse
        locked = true;
    }
    TimestampTz now = GetCurrentTimestamp();
    if (g_loaded && now - g_checked_at < kRecheckMicroseconds && now >= g_checked_at) return g_keyring;

    bool is_default = key_file_setting == nullptr || key_file_setting[0] == '\0';
    std::string path = is_default ? kDefaultKeyFile : key_file_setting;  // relative to the data directory
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
        int err = errno;
        if (err == ENOENT && is_default) {
            bool recovering = RecoveryInProgress();
            if (recovering || database_has_tokens())
                throw core::Error(core::ErrorKind::UndefinedFile,
                                  "missing key file \"" + path + "\": " +
                                      (recovering ? "a server in recovery never creates one"
                                                  : "this database holds tokens hashed under the lost key"),
                                  "A new key would not verify any existing token.",
                                  "Restore the key file from backup (or copy it from the primary), or set "
                                  "hive_tokens.key_file to it; see the README, section \"The server key\".");
            create_default_key_file(path);
            if (stat(path.c_str(), &st) != 0) file_error(core::ErrorKind::IoError, "could not stat", path, errno);
        } else {
            invalidate_keyring();
            file_error(err == ENOENT ? core::ErrorKind::UndefinedFile : core::ErrorKind::IoError,
                       err == ENOENT ? "missing" : "could not access", path, err);
        }
    }
    if (!g_loaded || path != g_path || !same_file(st, g_stat)) {
        invalidate_keyring();
        load(path, &st);
        g_path = path;
        g_stat = st;
        g_loaded = true;
    }
    g_checked_at = now;
    return g_keyring;
}
}  // namespace

}  // namespace hive_tokens::pg
