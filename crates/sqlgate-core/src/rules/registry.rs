//! Every rule sqlgate implements, in documentation order (`sqlgate explain`,
//! docs/rules.md). A new rule is one line here plus its family file.

use super::{database, directory, history, replay, sql};
use crate::model::Rule;

/// Every rule, in documentation order.
pub static ALL: &[&Rule] = &[
    &directory::DUPLICATE_VERSION,
    &directory::VERSION_GAP,
    &history::OUT_OF_ORDER,
    &directory::INVALID_NAME,
    &directory::MIXED_LAYOUT,
    &directory::INCONSISTENT_WIDTH,
    &directory::ORPHAN_DOWN,
    &directory::MISSING_DOWN,
    &directory::EMPTY_MIGRATION,
    &directory::NOT_UTF8,
    &directory::UNREADABLE_FILE,
    &history::MODIFIED_MIGRATION,
    &history::DELETED_MIGRATION,
    &history::RENAMED_MIGRATION,
    &history::DOWN_MODIFIED,
    &database::CHECKSUM_MISMATCH,
    &database::MISSING_FILE,
    &database::FAILED_MIGRATION,
    &database::EXISTING_SCHEMA,
    &sql::transactions::SYNTAX_ERROR,
    &sql::transactions::UNDEFINED_PLACEHOLDER,
    &sql::transactions::UNANALYZABLE_STATEMENT,
    &sql::transactions::UNCHECKED_DYNAMIC_SQL,
    &sql::transactions::TRANSACTION_CONTROL,
    &sql::transactions::CONCURRENTLY_IN_TRANSACTION,
    &sql::transactions::NON_TRANSACTIONAL_STATEMENT,
    &sql::transactions::MIXED_NO_TRANSACTION,
    &sql::transactions::DUPLICATE_COLUMN,
    &sql::transactions::UNUSED_IGNORE,
    &sql::data_loss::DROP_TABLE,
    &sql::data_loss::DROP_COLUMN,
    &sql::data_loss::DROP_SCHEMA,
    &sql::data_loss::DROP_DATABASE,
    &sql::data_loss::TRUNCATE,
    &sql::data_loss::DELETE_WITHOUT_WHERE,
    &sql::data_loss::UPDATE_WITHOUT_WHERE,
    &sql::locking::CREATE_INDEX_NON_CONCURRENTLY,
    &sql::locking::DROP_INDEX_NON_CONCURRENTLY,
    &sql::locking::REINDEX_NON_CONCURRENTLY,
    &sql::locking::ADD_FOREIGN_KEY_VALIDATING,
    &sql::locking::ADD_CHECK_VALIDATING,
    &sql::locking::ADD_UNIQUE_CONSTRAINT,
    &sql::locking::ADD_PRIMARY_KEY,
    &sql::locking::ADD_EXCLUSION_CONSTRAINT,
    &sql::locking::ADD_DOMAIN_CHECK_VALIDATING,
    &sql::locking::VALIDATE_IN_SAME_TRANSACTION,
    &sql::locking::SET_NOT_NULL,
    &sql::locking::ADD_COLUMN_VOLATILE_DEFAULT,
    &sql::locking::ADD_COLUMN_REQUIRED,
    &sql::locking::ADD_COLUMN_SERIAL,
    &sql::locking::ADD_COLUMN_GENERATED_STORED,
    &sql::locking::ALTER_COLUMN_TYPE,
    &sql::locking::ALTER_COLUMN_TYPE_REBUILDS_INDEX,
    &sql::locking::ALTER_COLUMN_TYPE_RECHECKS,
    &sql::locking::VACUUM_FULL,
    &sql::locking::CLUSTER,
    &sql::locking::REWRITE_TABLE,
    &sql::locking::DETACH_PARTITION_NON_CONCURRENTLY,
    &sql::locking::REFRESH_MATVIEW_NON_CONCURRENTLY,
    &sql::locking::LOCK_TABLE,
    &sql::locking::ALTER_ENUM_ADD_VALUE_IN_TRANSACTION,
    &sql::locking::STATEMENTS_AFTER_ACCESS_EXCLUSIVE,
    &sql::locking::MISSING_LOCK_TIMEOUT,
    &sql::breaking::RENAME_COLUMN,
    &sql::breaking::RENAME_TABLE,
    &sql::breaking::RENAME_SCHEMA,
    &sql::breaking::RENAME_ENUM_VALUE,
    &sql::breaking::DROP_NOT_NULL,
    &sql::breaking::DROP_DEFAULT,
    &sql::security::PLAINTEXT_PASSWORD,
    &sql::security::SECURITY_DEFINER_SEARCH_PATH,
    &sql::security::GRANT_TO_PUBLIC,
    &sql::security::DISABLE_ROW_LEVEL_SECURITY,
    &sql::security::SERVER_SIDE_ACCESS,
    &sql::style::PREFER_BIGINT,
    &sql::style::PREFER_TEXT,
    &sql::style::PREFER_TIMESTAMPTZ,
    &sql::style::PREFER_IDENTITY,
    &sql::style::PREFER_JSONB,
    &sql::style::BAN_CHAR,
    &sql::style::IDENTIFIER_TOO_LONG,
    &replay::REPLAY_ERROR,
    &replay::REPLAY_REWRITE,
    &replay::REPLAY_BLOCKING_LOCK,
];

/// The rule with this id.
pub fn info(id: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|r| r.id == id)
}

/// True for ids that may appear in configuration and ignore directives.
pub fn is_known(id: &str) -> bool {
    info(id).is_some()
}

/// The known rule id closest to `id`, for "did you mean" messages.
pub fn closest(id: &str) -> Option<&'static str> {
    ALL.iter()
        .map(|r| (strsim::levenshtein(id, r.id), r.id))
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_documented_once() {
        let mut ids: Vec<_> = ALL.iter().map(|r| r.id).collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
        for r in ALL {
            assert!(
                !r.why.is_empty() && !r.fix.is_empty() && !r.bad.is_empty() && !r.good.is_empty(),
                "{}",
                r.id
            );
        }
    }

    #[test]
    fn did_you_mean() {
        assert_eq!(closest("version-gaps"), Some("version-gap"));
        assert_eq!(closest("drop-colum"), Some("drop-column"));
        assert_eq!(closest("zzzzzzzzzzzz"), None);
    }
}
