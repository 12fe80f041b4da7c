//! Form bodies and query strings (`application/x-www-form-urlencoded`), decoded
//! strictly: a bad escape or text that is not UTF-8 is an error, never a guess.

/// A body or query that does not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed form data")]
pub struct FormError;

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes one component (`+` is a space); invalid escapes or UTF-8 are errors.
fn percent_decode(s: &[u8], plus_is_space: bool) -> Result<String, FormError> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' => {
                let hi = s.get(i + 1).copied().and_then(hex).ok_or(FormError)?;
                let lo = s.get(i + 2).copied().and_then(hex).ok_or(FormError)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| FormError)
}

/// Parses `application/x-www-form-urlencoded` into pairs, in order.
pub(super) fn parse_urlencoded(body: &[u8]) -> Result<Vec<(String, String)>, FormError> {
    body.split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let mut it = pair.splitn(2, |&b| b == b'=');
            let k = percent_decode(it.next().unwrap_or_default(), true)?;
            let v = percent_decode(it.next().unwrap_or_default(), true)?;
            Ok((k, v))
        })
        .collect()
}

/// A parsed form: its fields in the order sent ([`Form::get`] gives a field's first
/// value). Its `Debug` shows the field names only (forms carry passwords, codes and tokens).
#[derive(Default)]
pub struct Form(Vec<(String, String)>);

impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set()
            .entries(self.0.iter().map(|(name, _)| name))
            .finish()
    }
}

impl Form {
    /// Parses a form body.
    pub fn parse(body: &[u8]) -> Result<Form, FormError> {
        parse_urlencoded(body).map(Form)
    }

    /// Every field's name and value, in the order sent (a multiple select repeats its
    /// name once per choice).
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// A field's first value.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_strictly() {
        let f = Form::parse(b"email=jane%40example.com&next=%2Fportal%2Fx&a+b=c+d").unwrap();
        assert_eq!(f.get("email"), Some("jane@example.com"));
        assert_eq!(f.get("next"), Some("/portal/x"));
        assert_eq!(f.get("a b"), Some("c d"));
        assert!(Form::parse(b"x=%zz").is_err());
        assert!(Form::parse(b"x=%ff%fe").is_err(), "not UTF-8");
        assert!(Form::parse(b"x=%4").is_err());
    }

    #[test]
    fn debug_shows_field_names_but_no_value() {
        let form = Form::parse(b"email=a%40example.com&password=my-secret-password").unwrap();
        let printed = format!("{form:?}");
        assert!(
            !printed.contains("my-secret") && printed.contains("password"),
            "{printed}"
        );
    }
}
