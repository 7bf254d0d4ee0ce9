//! Migration versions: arbitrary-precision non-negative integers kept as canonical
//! decimal strings, so 20-digit versions (kratos) compare correctly and `001 == 1`.

use std::cmp::Ordering;
use std::fmt;

/// A migration version. `raw` is the digits as written (dashes of a date-like folder
/// name removed); ordering and equality use the canonical value (no leading zeros).
#[derive(Debug, Clone)]
pub struct Version {
    canonical: String,
    raw: String,
}

impl Version {
    /// Builds a version from a string of ASCII digits. Returns `None` for anything else.
    pub fn from_digits(raw: &str) -> Option<Version> {
        if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let trimmed = raw.trim_start_matches('0');
        let canonical = if trimmed.is_empty() { "0" } else { trimmed };
        Some(Version {
            canonical: canonical.to_string(),
            raw: raw.to_string(),
        })
    }

    /// The canonical decimal value, e.g. `"12"` for `0012`. Used in history tables.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// The digits as written in the file name, e.g. `"0012"`.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// Number of digits as written (the zero-padded width).
    pub fn width(&self) -> usize {
        self.raw.len()
    }

    /// True when the version is written with leading zeros (`007`).
    pub fn is_padded(&self) -> bool {
        self.raw.len() > self.canonical.len()
    }

    /// The next integer (`v + 1`), canonical form.
    pub fn succ(&self) -> Version {
        let mut digits: Vec<u8> = self.canonical.bytes().collect();
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, b'1');
                break;
            }
            i -= 1;
            if digits[i] == b'9' {
                digits[i] = b'0';
            } else {
                digits[i] += 1;
                break;
            }
        }
        let s = String::from_utf8_lossy(&digits).into_owned();
        Version {
            canonical: s.clone(),
            raw: s,
        }
    }

    /// The previous integer (`v - 1`), canonical form; `None` for zero.
    pub fn pred(&self) -> Option<Version> {
        if self.canonical == "0" {
            return None;
        }
        let mut digits: Vec<u8> = self.canonical.bytes().collect();
        let mut i = digits.len();
        while i > 0 {
            i -= 1;
            if digits[i] == b'0' {
                digits[i] = b'9';
            } else {
                digits[i] -= 1;
                break;
            }
        }
        let s = String::from_utf8_lossy(&digits).into_owned();
        Version::from_digits(&s)
    }

    /// This value written with at least `width` digits (zero-padded).
    pub fn padded(&self, width: usize) -> String {
        format!("{:0>width$}", self.canonical, width = width)
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.canonical == other.canonical
    }
}
impl Eq for Version {}

impl std::hash::Hash for Version {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.canonical.hash(state)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.canonical
            .len()
            .cmp(&other.canonical.len())
            .then_with(|| self.canonical.cmp(&other.canonical))
    }
}
impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::from_digits(s).unwrap()
    }

    #[test]
    fn leading_zeros_are_the_same_version() {
        assert_eq!(v("001"), v("1"));
        assert_eq!(v("000"), v("0"));
        assert_eq!(v("0"), v("00000000000000"));
        assert_ne!(v("10"), v("1"));
    }

    #[test]
    fn twenty_digit_versions_compare_as_integers() {
        assert!(v("20150100000001000000") < v("20191100000001000000"));
        assert!(v("99999999999999999999") < v("100000000000000000000"));
        assert!(v("9") < v("10"));
        assert!(v("0009") < v("0010"));
        assert!(v("20190226002946") < v("202509191326480000"));
    }

    #[test]
    fn successor_carries() {
        assert_eq!(v("9").succ(), v("10"));
        assert_eq!(v("0099").succ(), v("100"));
        assert_eq!(
            v("99999999999999999999").succ().canonical(),
            "100000000000000000000"
        );
        assert_eq!(v("0").succ(), v("1"));
        assert_eq!(v("100").pred(), Some(v("99")));
        assert_eq!(v("1").pred(), Some(v("0")));
        assert_eq!(v("0").pred(), None);
    }

    #[test]
    fn rejects_non_digits_and_keeps_width() {
        assert!(Version::from_digits("").is_none());
        assert!(Version::from_digits("12a").is_none());
        assert!(Version::from_digits("-1").is_none());
        assert_eq!(v("007").width(), 3);
        assert!(v("007").is_padded());
        assert!(!v("70").is_padded());
        assert_eq!(v("7").padded(4), "0007");
    }
}
