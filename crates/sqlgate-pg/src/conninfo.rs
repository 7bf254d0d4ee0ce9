//! Connection strings, parsed once: a URL (`postgres://user:password@host/db?k=v`, any
//! scheme, any case) or libpq's `key=value` form (quoted values, backslash escapes,
//! spaces around `=`). From the parse come the masked text shown to people, the
//! passwords to hide (`::add-mask::`), the parameters sqlgate handles itself
//! (`sslmode`, `sslrootcert`) and the same server with another database.
//!
//! Masking never trusts the string to be well formed: in a URL everything between
//! `://` and the last `@` is credentials (whatever the driver would make of a `/`,
//! `@` or `?` in a password), and a `key=value` string that does not parse has
//! everything from `password` on hidden. Showing too little is acceptable; showing a
//! byte of a password is not.

use std::ops::Range;

/// One `key=value` parameter (of the URL's query or the libpq string).
#[derive(Debug, Clone)]
struct Param {
    /// The key, lower-cased (and percent-decoded in a URL).
    key: String,
    /// The value, unquoted and unescaped (percent-decoded in a URL).
    value: String,
    /// The whole `key=value` token in the text.
    token: Range<usize>,
    /// The value as written (quotes included) in the text.
    raw: Range<usize>,
}

#[derive(Debug, Clone)]
enum Form {
    Url {
        /// Where the text after `scheme://` starts.
        authority: usize,
        /// The password inside the credentials.
        password: Option<Range<usize>>,
        /// The database path (after the `/` following the host), when present.
        database: Option<Range<usize>>,
        /// Where the query starts (the `?`).
        query: Option<usize>,
    },
    KeyValue {
        /// Where the string stopped parsing, if it did: everything after the first
        /// `password` in it is hidden.
        broken_at: Option<usize>,
    },
}

/// A parsed connection string.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    text: String,
    form: Form,
    params: Vec<Param>,
}

fn is_url(s: &str) -> Option<usize> {
    let end = s.find("://")?;
    let scheme = &s[..end];
    let mut chars = scheme.chars();
    (chars.next()?.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(end + 3)
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

impl ConnInfo {
    /// Parses a connection string. Never fails: what cannot be read is masked whole.
    pub fn parse(s: &str) -> ConnInfo {
        let text = s.trim().to_string();
        match is_url(&text) {
            Some(authority) => Self::parse_url(text, authority),
            None => Self::parse_key_value(text),
        }
    }

    fn parse_url(text: String, authority: usize) -> ConnInfo {
        let rest = &text[authority..];
        // Credentials run to the last `@`, whatever the password holds.
        let (password, host_start) = match rest.rfind('@') {
            Some(at) => {
                let password = rest[..at]
                    .find(':')
                    .map(|c| authority + c + 1..authority + at);
                (password, authority + at + 1)
            }
            None => (None, authority),
        };
        let after_host = &text[host_start..];
        let query = after_host.find('?').map(|q| host_start + q);
        let path_end = query.unwrap_or(text.len());
        let database = text[host_start..path_end]
            .find('/')
            .map(|slash| host_start + slash + 1..path_end);
        let mut params = Vec::new();
        if let Some(q) = query {
            let mut start = q + 1;
            for token in text[q + 1..].split('&') {
                let range = start..start + token.len();
                start = range.end + 1;
                if token.is_empty() {
                    continue;
                }
                let (key, value, raw) = match token.split_once('=') {
                    Some((k, v)) => (k, v, range.start + k.len() + 1..range.end),
                    None => (token, "", range.end..range.end),
                };
                params.push(Param {
                    key: decode(key).trim().to_ascii_lowercase(),
                    value: decode(value),
                    token: range,
                    raw,
                });
            }
        }
        ConnInfo {
            form: Form::Url {
                authority,
                password,
                database,
                query,
            },
            text,
            params,
        }
    }

    fn parse_key_value(text: String) -> ConnInfo {
        let b = text.as_bytes();
        let mut params = Vec::new();
        let mut i = 0;
        let mut broken_at = None;
        let skip_ws = |mut i: usize| {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            i
        };
        loop {
            i = skip_ws(i);
            if i >= b.len() {
                break;
            }
            let start = i;
            while i < b.len() && b[i] != b'=' && !b[i].is_ascii_whitespace() {
                i += 1;
            }
            let key = text[start..i].to_ascii_lowercase();
            i = skip_ws(i);
            if i >= b.len() || b[i] != b'=' || key.is_empty() {
                broken_at = Some(start);
                break;
            }
            i = skip_ws(i + 1);
            let raw_start = i;
            let mut value = Vec::new();
            if i < b.len() && b[i] == b'\'' {
                i += 1;
                let mut closed = false;
                while i < b.len() {
                    match b[i] {
                        b'\\' if i + 1 < b.len() => {
                            value.push(b[i + 1]);
                            i += 2;
                        }
                        b'\'' => {
                            closed = true;
                            i += 1;
                            break;
                        }
                        c => {
                            value.push(c);
                            i += 1;
                        }
                    }
                }
                if !closed {
                    broken_at = Some(start);
                    break;
                }
            } else {
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    if b[i] == b'\\' && i + 1 < b.len() {
                        value.push(b[i + 1]);
                        i += 2;
                    } else {
                        value.push(b[i]);
                        i += 1;
                    }
                }
            }
            params.push(Param {
                key,
                value: String::from_utf8_lossy(&value).into_owned(),
                token: start..i,
                raw: raw_start..i,
            });
        }
        ConnInfo {
            text,
            form: Form::KeyValue { broken_at },
            params,
        }
    }

    /// The value of a parameter (the last one wins, as in libpq).
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|p| p.key == key)
            .map(|p| p.value.as_str())
    }

    /// The text with every password replaced by `****`.
    pub fn masked(&self) -> String {
        let mut cuts: Vec<Range<usize>> = Vec::new();
        match &self.form {
            Form::Url { password, .. } => cuts.extend(password.clone()),
            Form::KeyValue { broken_at } => {
                if let Some(at) = broken_at {
                    let lower = self.text[*at..].to_ascii_lowercase();
                    if let Some(p) = lower.find("password") {
                        cuts.push(at + p..self.text.len());
                    }
                }
            }
        }
        cuts.extend(
            self.params
                .iter()
                .filter(|p| p.key == "password")
                .map(|p| p.raw.clone()),
        );
        cuts.sort_by_key(|r| r.start);
        let mut out = String::with_capacity(self.text.len());
        let mut at = 0;
        for cut in cuts {
            if cut.start < at {
                at = at.max(cut.end);
                continue;
            }
            out.push_str(&self.text[at..cut.start]);
            out.push_str("****");
            at = cut.end;
        }
        out.push_str(&self.text[at.min(self.text.len())..]);
        out
    }

    /// Every password in the string, as written and decoded (for `::add-mask::`).
    pub fn passwords(&self) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        let mut add = |s: &str| {
            if !s.is_empty() && !found.iter().any(|f| f == s) {
                found.push(s.to_string());
            }
        };
        if let Form::Url {
            password: Some(p), ..
        } = &self.form
        {
            add(&self.text[p.clone()]);
            add(&decode(&self.text[p.clone()]));
        }
        if let Form::KeyValue {
            broken_at: Some(at),
        } = &self.form
        {
            let lower = self.text[*at..].to_ascii_lowercase();
            if let Some(p) = lower.find("password") {
                let rest = self.text[at + p + "password".len()..]
                    .trim_start()
                    .trim_start_matches('=')
                    .trim();
                add(rest);
                add(rest.trim_matches('\''));
            }
        }
        for p in self.params.iter().filter(|p| p.key == "password") {
            add(&self.text[p.raw.clone()]);
            add(&p.value);
            add(self.text[p.raw.clone()].trim_matches('\''));
        }
        found
    }

    /// The text without the given parameters (sqlgate handles `sslmode` and
    /// `sslrootcert` itself), for the driver.
    pub fn without(&self, keys: &[&str]) -> String {
        let drop: Vec<&Param> = self
            .params
            .iter()
            .filter(|p| keys.contains(&p.key.as_str()))
            .collect();
        if drop.is_empty() {
            return self.text.clone();
        }
        match &self.form {
            Form::Url { query, .. } => {
                let kept: Vec<&str> = self
                    .params
                    .iter()
                    .filter(|p| !keys.contains(&p.key.as_str()))
                    .map(|p| &self.text[p.token.clone()])
                    .collect();
                let base = &self.text[..query.unwrap_or(self.text.len())];
                if kept.is_empty() {
                    base.to_string()
                } else {
                    format!("{base}?{}", kept.join("&"))
                }
            }
            Form::KeyValue { .. } => self
                .params
                .iter()
                .filter(|p| !keys.contains(&p.key.as_str()))
                .map(|p| &self.text[p.token.clone()])
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    /// The same connection to another database on the same server.
    pub fn with_database(&self, db: &str) -> String {
        match &self.form {
            Form::Url {
                authority,
                database,
                query,
                ..
            } => {
                let path_end = query.unwrap_or(self.text.len());
                let host_end = database.as_ref().map_or(path_end, |d| d.start - 1);
                let host_end = host_end.max(*authority);
                let tail = query.map_or(String::new(), |q| self.text[q..].to_string());
                format!("{}/{db}{tail}", &self.text[..host_end])
            }
            Form::KeyValue { .. } => {
                let kept: Vec<&str> = self
                    .params
                    .iter()
                    .filter(|p| p.key != "dbname")
                    .map(|p| &self.text[p.token.clone()])
                    .collect();
                format!("{} dbname={db}", kept.join(" "))
            }
        }
    }

    /// The same connection with one more parameter (`options`, say); an existing
    /// parameter of that name is replaced.
    pub fn with_param(&self, key: &str, value: &str) -> String {
        use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
        match &self.form {
            Form::Url { .. } => {
                let base = self.without(&[key]);
                let sep = if base.contains('?') { '&' } else { '?' };
                format!(
                    "{base}{sep}{key}={}",
                    utf8_percent_encode(value, NON_ALPHANUMERIC)
                )
            }
            Form::KeyValue { .. } => {
                let quote = |v: &str| format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"));
                format!("{} {key}={}", self.without(&[key]), quote(value))
            }
        }
    }

    /// The same server and database as another role with a password.
    pub fn with_user(&self, user: &str, password: &str) -> String {
        use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
        // RFC 3986 unreserved characters stay as they are.
        const USERINFO: &AsciiSet = &NON_ALPHANUMERIC
            .remove(b'_')
            .remove(b'-')
            .remove(b'.')
            .remove(b'~');
        match &self.form {
            Form::Url { authority, .. } => {
                let rest = &self.text[*authority..];
                let after = rest.rfind('@').map_or(*authority, |at| authority + at + 1);
                format!(
                    "{}{}:{}@{}",
                    &self.text[..*authority],
                    utf8_percent_encode(user, USERINFO),
                    utf8_percent_encode(password, USERINFO),
                    &self.text[after..]
                )
            }
            Form::KeyValue { .. } => {
                let kept: Vec<&str> = self
                    .params
                    .iter()
                    .filter(|p| p.key != "user" && p.key != "password")
                    .map(|p| &self.text[p.token.clone()])
                    .collect();
                let quote = |v: &str| format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"));
                format!(
                    "{} user={} password={}",
                    kept.join(" "),
                    quote(user),
                    quote(password)
                )
            }
        }
    }

    /// True for the URL form.
    pub fn is_url(&self) -> bool {
        matches!(self.form, Form::Url { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (connection string, password): the masked text must not contain any part of
    /// the password longer than two characters, and `passwords` must find it.
    const SHAPES: &[(&str, &str)] = &[
        ("postgres://app:s3cret@db:5432/prod", "s3cret"),
        ("postgresql://app:s3cret@db/prod?sslmode=require", "s3cret"),
        ("postgres://deploy:Xk9/Qw+Zz8=@host/db", "Xk9/Qw+Zz8="),
        ("postgres://deploy:WRONG@pw@host/db", "WRONG@pw"),
        ("postgres://deploy:p?x@host/db", "p?x"),
        ("postgres://deploy:s3%40cret@host/db", "s3@cret"),
        ("POSTGRES://deploy:UPPERsecret@host/db", "UPPERsecret"),
        ("mysql://deploy:Qz7otherpw@host/db", "Qz7otherpw"),
        ("  postgres://deploy:leadingspace@host/db", "leadingspace"),
        (
            "postgresql://app@db/prod?password=querysecret&sslmode=require",
            "querysecret",
        ),
        ("postgresql://app@db/prod?PassWord=mixedcase", "mixedcase"),
        ("host=db user=app password=kvsecret dbname=prod", "kvsecret"),
        ("user=deploy password='a b c' host=db", "a b c"),
        ("user=deploy password = SPACED host=db", "SPACED"),
        (
            "user=deploy password=WRONG\\ SECRET host=db",
            "WRONG SECRET",
        ),
        ("user=deploy password='it\\'s' host=db", "it's"),
        ("user=deploy password='unterminated host=db", "unterminated"),
        ("user=deploy garbage password=afterjunk", "afterjunk"),
        ("user=deploy PASSWORD=upperkey", "upperkey"),
    ];

    #[test]
    fn no_shape_of_connection_string_shows_its_password() {
        for (conn, pw) in SHAPES {
            let c = ConnInfo::parse(conn);
            let masked = c.masked();
            let chars: Vec<char> = pw.chars().collect();
            for w in chars.windows(3) {
                let piece: String = w.iter().collect();
                assert!(
                    !masked.contains(&piece),
                    "{conn:?} masked as {masked:?} shows {piece:?}"
                );
            }
            assert!(masked.contains("****"), "{conn:?} → {masked:?}");
            let found = c.passwords();
            assert!(
                found.iter().any(|f| f.contains(pw)),
                "{conn:?}: passwords {found:?} miss {pw:?}"
            );
        }
    }

    #[test]
    fn masking_keeps_everything_else() {
        assert_eq!(
            ConnInfo::parse("postgres://app:s3cret@db:5432/prod").masked(),
            "postgres://app:****@db:5432/prod"
        );
        assert_eq!(
            ConnInfo::parse("postgresql://app@db/prod?password=s3cret&sslmode=require").masked(),
            "postgresql://app@db/prod?password=****&sslmode=require"
        );
        assert_eq!(
            ConnInfo::parse("host=db user=app password=s3cret dbname=prod").masked(),
            "host=db user=app password=**** dbname=prod"
        );
        assert_eq!(
            ConnInfo::parse("postgres://db/prod").masked(),
            "postgres://db/prod"
        );
    }

    #[test]
    fn passwords_are_found_as_written_and_decoded() {
        assert_eq!(
            ConnInfo::parse("postgres://app:s3%40cret@db/prod").passwords(),
            vec!["s3%40cret", "s3@cret"]
        );
        assert_eq!(
            ConnInfo::parse("postgresql://app@db/prod?password=pw&sslmode=require").passwords(),
            vec!["pw"]
        );
        assert_eq!(
            ConnInfo::parse("host=db password=xyz user=a").passwords(),
            vec!["xyz"]
        );
        assert!(ConnInfo::parse("postgres://db/prod").passwords().is_empty());
        assert!(ConnInfo::parse("postgres://app:@db/prod")
            .passwords()
            .is_empty());
    }

    #[test]
    fn parameters_are_read_and_removed() {
        let c = ConnInfo::parse("postgres://a@b/c?x=1&sslmode=verify-full&sslrootcert=/ca.pem");
        assert_eq!(c.param("sslmode"), Some("verify-full"));
        assert_eq!(c.param("sslrootcert"), Some("/ca.pem"));
        assert_eq!(
            c.without(&["sslmode", "sslrootcert"]),
            "postgres://a@b/c?x=1"
        );
        assert_eq!(
            ConnInfo::parse("postgres://a@b/c?sslmode=require").without(&["sslmode"]),
            "postgres://a@b/c"
        );
        let kv = ConnInfo::parse("host=b sslmode=disable user=a");
        assert_eq!(kv.param("sslmode"), Some("disable"));
        assert_eq!(kv.without(&["sslmode"]), "host=b user=a");
    }

    #[test]
    fn another_role_on_the_same_server() {
        assert_eq!(
            ConnInfo::parse("postgres://admin:pw@h:5/db?sslmode=disable").with_user("r", "p/w"),
            "postgres://r:p%2Fw@h:5/db?sslmode=disable"
        );
        assert_eq!(
            ConnInfo::parse("postgres://h/db").with_user("r", "x"),
            "postgres://r:x@h/db"
        );
        assert_eq!(
            ConnInfo::parse("host=h user=admin password=pw dbname=d").with_user("r", "it's"),
            "host=h dbname=d user='r' password='it\\'s'"
        );
    }

    #[test]
    fn another_database_on_the_same_server() {
        let w = |c: &str, db: &str| ConnInfo::parse(c).with_database(db);
        assert_eq!(
            w("postgres://u:p@h:5/postgres?sslmode=disable", "x"),
            "postgres://u:p@h:5/x?sslmode=disable"
        );
        assert_eq!(w("postgres://h", "x"), "postgres://h/x");
        assert_eq!(
            w("postgres://u@h:5?sslmode=disable", "x"),
            "postgres://u@h:5/x?sslmode=disable"
        );
        assert_eq!(
            w("host=h dbname=postgres user=u", "x"),
            "host=h user=u dbname=x"
        );
    }
}
