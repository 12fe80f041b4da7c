//! A JSON writer for the document every page of a portal front end asks for first,
//! `GET {p}/api/me`.
//!
//! `serde_json` escapes every string it writes, byte by byte, keys and ids included;
//! in that document most of the text is keys, ids and permission names, none of which
//! can hold a character JSON escapes. This writer copies those as they are; other
//! strings (names, addresses, the CSRF token) are checked many bytes at a time and
//! escaped exactly as `serde_json` does, so that its output is byte for byte
//! `serde_json`'s (a property test holds it to that). The other documents, off the hot
//! path, keep using `serde_json`.

use std::sync::LazyLock;

use crate::grant::Permissions;

/// Whether JSON writes `b` escaped: quote, backslash and control characters.
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// A JSON document being written.
pub(super) struct JsonOut(Vec<u8>);

impl JsonOut {
    /// An empty document with room for `capacity` bytes.
    pub(super) fn with_capacity(capacity: usize) -> Self {
        JsonOut(Vec::with_capacity(capacity))
    }

    /// Appends JSON text written by Portal itself: punctuation and keys.
    #[inline]
    pub(super) fn raw(&mut self, text: &'static str) {
        self.0.extend_from_slice(text.as_bytes());
    }

    /// Appends `s` as a JSON string.
    pub(super) fn string(&mut self, s: &str) {
        let bytes = s.as_bytes();
        // Names and addresses rarely hold anything to escape; this test has no early
        // exit, so the compiler checks many bytes per instruction.
        if !bytes.iter().fold(false, |any, &b| any | needs_escape(b)) {
            self.0.reserve(bytes.len() + 2);
            self.0.push(b'"');
            self.0.extend_from_slice(bytes);
            self.0.push(b'"');
            return;
        }
        self.0.push(b'"');
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if !needs_escape(b) {
                continue;
            }
            self.0.extend_from_slice(&bytes[start..i]);
            start = i + 1;
            match b {
                b'"' => self.0.extend_from_slice(b"\\\""),
                b'\\' => self.0.extend_from_slice(b"\\\\"),
                b'\n' => self.0.extend_from_slice(b"\\n"),
                b'\r' => self.0.extend_from_slice(b"\\r"),
                b'\t' => self.0.extend_from_slice(b"\\t"),
                0x08 => self.0.extend_from_slice(b"\\b"),
                0x0c => self.0.extend_from_slice(b"\\f"),
                _ => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    self.0.extend_from_slice(b"\\u00");
                    self.0.push(HEX[usize::from(b >> 4)]);
                    self.0.push(HEX[usize::from(b & 0xf)]);
                }
            }
        }
        self.0.extend_from_slice(&bytes[start..]);
        self.0.push(b'"');
    }

    /// Appends a string of this module's own making that holds nothing JSON escapes
    /// (hex, hyphens, permission names): copied as it is. Text from elsewhere goes
    /// through [`JsonOut::string`], whose check costs little when nothing needs it.
    fn plain_string(&mut self, s: &str) {
        debug_assert!(
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        self.0.push(b'"');
        self.0.extend_from_slice(s.as_bytes());
        self.0.push(b'"');
    }

    /// Appends an id as its hyphenated string.
    pub(super) fn id(&mut self, id: uuid::Uuid) {
        self.plain_string(
            id.hyphenated()
                .encode_lower(&mut uuid::Uuid::encode_buffer()),
        );
    }

    /// Appends permissions as the array of their names.
    pub(super) fn permissions(&mut self, permissions: Permissions) {
        // Four flags: every array there can be, written once by their own `Serialize`.
        static ARRAYS: LazyLock<Vec<String>> = LazyLock::new(|| {
            (0..=Permissions::ALL.bits())
                .map(|bits| {
                    serde_json::to_string(&Permissions::from_bits(bits)).unwrap_or_default()
                })
                .collect()
        });
        self.0
            .extend_from_slice(ARRAYS[usize::from(permissions.bits())].as_bytes());
    }

    /// The document.
    pub(super) fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn written(f: impl FnOnce(&mut JsonOut)) -> String {
        let mut out = JsonOut::with_capacity(0);
        f(&mut out);
        String::from_utf8(out.into_bytes()).unwrap()
    }

    #[test]
    fn every_character_serde_json_escapes_is_escaped_the_same_way() {
        let all: String = (0u32..0x80).filter_map(char::from_u32).collect::<String>() + "é€😀";
        assert_eq!(
            written(|o| o.string(&all)),
            serde_json::to_string(&all).unwrap()
        );
    }

    #[test]
    fn ids_and_permissions_read_as_serde_json_writes_them() {
        let id = uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210);
        assert_eq!(
            written(|o| o.id(id)),
            serde_json::to_string(&crate::id::ClientId::from_uuid(id)).unwrap()
        );
        for bits in 0..=Permissions::ALL.bits() {
            let p = Permissions::from_bits(bits);
            assert_eq!(
                written(|o| o.permissions(p)),
                serde_json::to_string(&p).unwrap()
            );
        }
    }

    proptest! {
        #[test]
        fn any_string_is_written_byte_for_byte_as_serde_json_writes_it(s in any::<String>()) {
            prop_assert_eq!(written(|o| o.string(&s)), serde_json::to_string(&s).unwrap());
        }
    }
}
