//! `[policy]` in sqlgate.toml: the team policies, read into the core's
//! [`Policy`](sqlgate_core::rules::policy::Policy). Nothing is on unless configured; a
//! bad pattern, kind or type is an error naming the key and its line.

use super::{Resolver, Span};
use serde::Deserialize;
use sqlgate_core::rules::policy::Policy;
use sqlgate_core::Error;
use std::collections::BTreeMap;
use toml::Spanned;

/// `[policy]` as written.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PolicyFile {
    require_primary_key: Option<bool>,
    foreign_key_index: Option<bool>,
    redundant_index: Option<bool>,
    #[serde(default)]
    required_columns: Vec<String>,
    #[serde(default)]
    banned_types: Vec<Spanned<String>>,
    #[serde(default)]
    require_comment: Vec<Spanned<String>>,
    /// `[policy.naming]`: object kind → regular expression.
    #[serde(default)]
    naming: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    rls_schemas: Vec<String>,
}

impl Resolver<'_> {
    pub(super) fn policy(&self, f: &PolicyFile) -> Result<Policy, Error> {
        let mut p = Policy {
            require_primary_key: f.require_primary_key.unwrap_or(false),
            foreign_key_index: f.foreign_key_index.unwrap_or(false),
            redundant_index: f.redundant_index.unwrap_or(false),
            required_columns: f.required_columns.clone(),
            rls_schemas: f.rls_schemas.clone(),
            ..Policy::default()
        };
        let bad = |span: Span, key: &str, m: String| self.bad(span, key, m);
        for t in &f.banned_types {
            p.add_banned_type(t.get_ref())
                .map_err(|e| bad(t.span(), "policy.banned_types", e.to_string()))?;
        }
        for k in &f.require_comment {
            p.add_comment_kind(k.get_ref())
                .map_err(|e| bad(k.span(), "policy.require_comment", e.to_string()))?;
        }
        for (kind, pattern) in &f.naming {
            p.add_naming(kind, pattern.get_ref()).map_err(|e| {
                bad(
                    pattern.span(),
                    &format!("policy.naming.{kind}"),
                    e.to_string(),
                )
            })?;
        }
        for (key, list) in [
            ("policy.required_columns", &f.required_columns),
            ("policy.rls_schemas", &f.rls_schemas),
        ] {
            if list.iter().any(|c| c.is_empty()) {
                return Err(Error::Usage(format!(
                    "{}: `{key}`: an empty name",
                    self.shown
                )));
            }
        }
        Ok(p)
    }
}
