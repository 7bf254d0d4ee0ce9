//! Migration versions: arbitrary-precision non-negative integers kept as canonical
//! decimal strings, so 20-digit versions (kratos) compare correctly and `001 == 1`;
//! and Flyway's dotted versions (`1.2.3`, `1_2`), compared part by part with missing
//! parts as zero (`1 == 1.0`, `1.2 < 1.10`).

use std::cmp::Ordering;
use std::fmt;

/// A migration version. `raw` is the digits as written (dashes of a date-like folder
/// name removed); ordering and equality use the canonical value (no leading zeros).
#[derive(Debug, Clone)]
pub struct Version {
    canonical: String,
    raw: String,
    /// Ordered as text, the way diesel orders its versions (see [`Version::textual`]).
    textual: bool,
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
            textual: false,
        })
    }

    /// This version ordered as text instead of as a number, the way diesel orders
    /// versions: `202511190914440000` (a `-0000` suffix) sorts before
    /// `20260120162913` although it is the larger number. Two textual versions
    /// compare as strings; a textual and a numeric one as numbers. Equality is
    /// unchanged (text order on the canonical digits is equal exactly when they are).
    pub fn textual(mut self) -> Version {
        self.textual = !self.is_dotted();
        self
    }

    /// A version as a history table records it: digits, or a dotted version.
    pub fn parse(s: &str) -> Option<Version> {
        Version::from_digits(s).or_else(|| Version::parse_dotted(s))
    }

    /// A dotted version as Flyway writes them: parts of digits separated by `.` or
    /// `_` (`1.2.3`, `2_1`). `None` for anything else.
    pub fn parse_dotted(raw: &str) -> Option<Version> {
        let parts: Vec<&str> = raw.split(['.', '_']).collect();
        if parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        let mut canon: Vec<String> = parts
            .iter()
            .map(|p| {
                let t = p.trim_start_matches('0');
                if t.is_empty() { "0" } else { t }.to_string()
            })
            .collect();
        while canon.len() > 1 && canon.last().is_some_and(|p| p == "0") {
            canon.pop();
        }
        Some(Version {
            canonical: canon.join("."),
            raw: raw.replace('_', "."),
            textual: false,
        })
    }

    /// True for a version with more than one part (`1.2`).
    pub fn is_dotted(&self) -> bool {
        self.canonical.contains('.')
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

    /// The next integer (`v + 1`), canonical form; for a dotted version, its last part
    /// plus one.
    pub fn succ(&self) -> Version {
        if let Some((head, last)) = self.canonical.rsplit_once('.') {
            let next = Version::from_digits(last).unwrap_or_else(|| Version {
                canonical: "0".into(),
                raw: "0".into(),
                textual: false,
            });
            let s = format!("{head}.{}", next.succ().canonical);
            return Version {
                canonical: s.clone(),
                raw: s,
                textual: false,
            };
        }
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
            textual: self.textual,
        }
    }

    /// The previous integer (`v - 1`), canonical form; `None` for zero.
    pub fn pred(&self) -> Option<Version> {
        if self.canonical == "0" || self.is_dotted() {
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
        let v = Version::from_digits(&s)?;
        Some(if self.textual { v.textual() } else { v })
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
        if self.textual && other.textual {
            return self.canonical.cmp(&other.canonical);
        }
        let number = |a: &str, b: &str| a.len().cmp(&b.len()).then_with(|| a.cmp(b));
        if !self.is_dotted() && !other.is_dotted() {
            return number(&self.canonical, &other.canonical);
        }
        let mut a = self.canonical.split('.');
        let mut b = other.canonical.split('.');
        loop {
            match (a.next(), b.next()) {
                (None, None) => return Ordering::Equal,
                (x, y) => {
                    let o = number(x.unwrap_or("0"), y.unwrap_or("0"));
                    if o != Ordering::Equal {
                        return o;
                    }
                }
            }
        }
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
    fn textual_versions_order_as_diesel_does() {
        let t = |s: &str| v(s).textual();
        assert!(t("202511190914440000") < t("20260120162913"));
        assert!(v("202511190914440000") > v("20260120162913"));
        assert!(t("10") < t("9"));
        assert_eq!(t("0012"), t("12"));
        // A textual and a numeric version compare as numbers.
        assert!(t("10") > v("9"));
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
    fn dotted_versions_compare_part_by_part() {
        let d = |s: &str| Version::parse_dotted(s).unwrap();
        assert_eq!(d("1.0"), d("1"));
        assert_eq!(d("1_2"), d("1.2"));
        assert!(d("1.2") < d("1.10"));
        assert!(d("1.9.9") < d("2"));
        assert!(d("1") < d("1.0.1"));
        assert!(v("3") > d("2.99"));
        assert_eq!(d("1.2").succ(), d("1.3"));
        assert!(Version::parse_dotted("1..2").is_none());
        assert!(Version::parse_dotted("1.a").is_none());
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
