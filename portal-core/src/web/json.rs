//! JSON documents of the API, written by a serde serializer whose output is the same
//! as `serde_json`'s compact one, byte for byte, but which checks a string for characters to escape eight bytes at a time and copies
//! it whole when there are none: `serde_json` looks at every byte in turn, and ids,
//! tokens and names, most of an API document, never need escaping.

use std::fmt::Display;

use serde::Serialize;
use serde::ser::{self, Impossible};

/// Why a value could not be written as JSON (a map with keys that are not strings).
#[derive(Debug, thiserror::Error)]
#[error("cannot write JSON: {0}")]
pub(crate) struct JsonError(String);

impl ser::Error for JsonError {
    fn custom<T: Display>(msg: T) -> Self {
        JsonError(msg.to_string())
    }
}

/// Appends the JSON of `value` to `out`.
pub(crate) fn write<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), JsonError> {
    value.serialize(Writer { out })
}

/// Appends `s` as a JSON string.
fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if needs_escape(bytes) {
        escape(out, bytes);
    } else {
        out.extend_from_slice(bytes);
    }
    out.push(b'"');
}

/// Whether `bytes` holds a control character, `"` or `\`, tested eight bytes at a time
/// with the classic "has a zero byte" word tricks (exact, no false positives).
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    let has_zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGH != 0;
    let special = |w: u64| {
        w.wrapping_sub(ONES * 0x20) & !w & HIGH != 0
            || has_zero(w ^ (ONES * u64::from(b'"')))
            || has_zero(w ^ (ONES * u64::from(b'\\')))
    };
    let mut words = bytes.chunks_exact(8);
    let mut found = false;
    for word in &mut words {
        let mut w = [0; 8];
        w.copy_from_slice(word);
        found |= special(u64::from_le_bytes(w));
    }
    // The last few bytes, padded with a byte that needs no escape, as one more word.
    let rest = words.remainder();
    let mut w = [b'a'; 8];
    w[..rest.len()].copy_from_slice(rest);
    found || special(u64::from_le_bytes(w))
}

/// The escapes `serde_json` writes: the short ones where JSON has them, `\u00XX` for
/// the other control characters; everything else as it is.
fn escape(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0..0x20 => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]),
            _ => out.push(b),
        }
    }
}

/// Numbers are rare in Portal's documents: `serde_json` writes them, so that their
/// form (and `null` for a non-finite float) is exactly its own.
fn write_number<T: Serialize>(out: &mut Vec<u8>, n: T) -> Result<(), JsonError> {
    serde_json::to_writer(out, &n).map_err(|e| JsonError(e.to_string()))
}

/// Serializer methods that hand a number to `$write`.
macro_rules! numbers {
    ($write:ident: $($method:ident($ty:ty)),* $(,)?) => {$(
        fn $method(self, v: $ty) -> Result<(), JsonError> {
            $write(self.out, v)
        }
    )*};
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

/// An array or object being written: whether a separator is due.
struct Compound<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    /// The closing bytes: `]`, `}`, or `]}` / `}}` for an enum variant's content.
    close: &'static [u8],
    /// A `serde_json` number or raw value: its one field is JSON text to copy.
    verbatim: bool,
}

/// The struct names by which `serde_json` passes JSON text through serde when a crate
/// in the build turns on its `arbitrary_precision` or `raw_value` feature (features
/// are shared by the whole build): `serde_json::Number` and `RawValue` serialise as a
/// struct of that name whose one field is their text, to be written as it is.
const SERDE_JSON_VERBATIM: [&str; 2] = [
    "$serde_json::private::Number",
    "$serde_json::private::RawValue",
];

impl Compound<'_> {
    fn separate(&mut self) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), JsonError> {
        self.separate();
        value.serialize(Writer { out: self.out })
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), JsonError> {
        if self.verbatim {
            let serde_json::Value::String(text) =
                serde_json::to_value(value).map_err(|e| JsonError(e.to_string()))?
            else {
                return Err(JsonError("serde_json passed no text".to_owned()));
            };
            self.out.extend_from_slice(text.as_bytes());
            return Ok(());
        }
        self.separate();
        write_str(self.out, key);
        self.out.push(b':');
        value.serialize(Writer { out: self.out })
    }

    fn end(self) -> Result<(), JsonError> {
        self.out.extend_from_slice(self.close);
        Ok(())
    }
}

impl<'a> Writer<'a> {
    fn open(self, open: &[u8], close: &'static [u8]) -> Compound<'a> {
        self.out.extend_from_slice(open);
        Compound {
            out: self.out,
            first: true,
            close,
            verbatim: false,
        }
    }

    /// `{"variant":` before an enum variant's content.
    fn variant(self, variant: &str) -> Self {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.push(b':');
        self
    }
}

impl<'a> ser::Serializer for Writer<'a> {
    type Ok = ();
    type Error = JsonError;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), JsonError> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    numbers!(
        write_number:
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_f32(f32),
        serialize_f64(f64),
    );
    fn serialize_char(self, v: char) -> Result<(), JsonError> {
        write_str(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), JsonError> {
        write_str(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), JsonError> {
        let mut seq = self.open(b"[", b"]");
        for b in v {
            seq.element(b)?;
        }
        seq.end()
    }
    fn serialize_none(self) -> Result<(), JsonError> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), JsonError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), JsonError> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), JsonError> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), JsonError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), JsonError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), JsonError> {
        let w = self.variant(variant);
        let out = &mut *w.out;
        value.serialize(Writer { out: &mut *out })?;
        out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, JsonError> {
        Ok(self.open(b"[", b"]"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'a>, JsonError> {
        Ok(self.open(b"[", b"]"))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, JsonError> {
        Ok(self.open(b"[", b"]"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, JsonError> {
        Ok(self.variant(variant).open(b"[", b"]}"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, JsonError> {
        Ok(self.open(b"{", b"}"))
    }
    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Compound<'a>, JsonError> {
        if SERDE_JSON_VERBATIM.contains(&name) {
            return Ok(Compound {
                out: self.out,
                first: true,
                close: b"",
                verbatim: true,
            });
        }
        Ok(self.open(b"{", b"}"))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, JsonError> {
        Ok(self.variant(variant).open(b"{", b"}}"))
    }
}

/// The compound traits whose elements have no key: arrays.
macro_rules! elements {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = JsonError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), JsonError> {
                self.element(value)
            }
            fn end(self) -> Result<(), JsonError> {
                Compound::end(self)
            }
        }
    )*};
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = JsonError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), JsonError> {
        self.separate();
        key.serialize(KeyWriter { out: self.out })?;
        self.out.push(b':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), JsonError> {
        value.serialize(Writer { out: self.out })
    }
    fn end(self) -> Result<(), JsonError> {
        Compound::end(self)
    }
}

/// The compound traits whose fields are named: objects.
macro_rules! fields {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = JsonError;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), JsonError> {
                self.field(key, value)
            }
            fn end(self) -> Result<(), JsonError> {
                Compound::end(self)
            }
        }
    )*};
}

fields!(SerializeStruct, SerializeStructVariant);

/// A map key, as `serde_json` writes them: a string, or a number or bool in quotes;
/// anything else is an error.
struct KeyWriter<'a> {
    out: &'a mut Vec<u8>,
}

fn not_a_string_key() -> JsonError {
    JsonError("a map key must be a string, a number or a bool".to_owned())
}

fn not_finite() -> JsonError {
    JsonError("a float map key must be finite".to_owned())
}

/// A number key, quoted as `serde_json` quotes it.
fn quoted_number<T: Serialize>(out: &mut Vec<u8>, n: T) -> Result<(), JsonError> {
    out.push(b'"');
    write_number(out, n)?;
    out.push(b'"');
    Ok(())
}

/// Serializer methods of one value argument that a map key refuses.
macro_rules! refuse {
    ($($method:ident($ty:ty)),* $(,)?) => {$(
        fn $method(self, _: $ty) -> Result<(), JsonError> {
            Err(not_a_string_key())
        }
    )*};
}

impl ser::Serializer for KeyWriter<'_> {
    type Ok = ();
    type Error = JsonError;
    type SerializeSeq = Impossible<(), JsonError>;
    type SerializeTuple = Impossible<(), JsonError>;
    type SerializeTupleStruct = Impossible<(), JsonError>;
    type SerializeTupleVariant = Impossible<(), JsonError>;
    type SerializeMap = Impossible<(), JsonError>;
    type SerializeStruct = Impossible<(), JsonError>;
    type SerializeStructVariant = Impossible<(), JsonError>;

    fn serialize_str(self, v: &str) -> Result<(), JsonError> {
        write_str(self.out, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), JsonError> {
        write_str(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), JsonError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), JsonError> {
        value.serialize(self)
    }
    numbers!(
        quoted_number:
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
    );
    refuse!(serialize_bytes(&[u8]), serialize_unit_struct(&'static str),);
    fn serialize_bool(self, v: bool) -> Result<(), JsonError> {
        self.out
            .extend_from_slice(if v { b"\"true\"" } else { b"\"false\"" });
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), JsonError> {
        if !v.is_finite() {
            return Err(not_finite());
        }
        quoted_number(self.out, v)
    }
    fn serialize_f64(self, v: f64) -> Result<(), JsonError> {
        if !v.is_finite() {
            return Err(not_finite());
        }
        quoted_number(self.out, v)
    }
    fn serialize_none(self) -> Result<(), JsonError> {
        Err(not_a_string_key())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), JsonError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), JsonError> {
        Err(not_a_string_key())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), JsonError> {
        Err(not_a_string_key())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, JsonError> {
        Err(not_a_string_key())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, JsonError> {
        Err(not_a_string_key())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, JsonError> {
        Err(not_a_string_key())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, JsonError> {
        Err(not_a_string_key())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, JsonError> {
        Err(not_a_string_key())
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, JsonError> {
        Err(not_a_string_key())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, JsonError> {
        Err(not_a_string_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    fn ours<T: Serialize + ?Sized>(v: &T) -> Vec<u8> {
        let mut out = Vec::new();
        write(&mut out, v).unwrap();
        out
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            "[\\x00-\\x7f]{0,40}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn finds_every_character_to_escape(s in "[ -~\\x00-\\x1f\u{80}-\u{10ffff}]{0,40}") {
            let expected = s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\');
            prop_assert_eq!(needs_escape(s.as_bytes()), expected);
        }

        #[test]
        fn writes_what_serde_json_writes(v in value()) {
            prop_assert_eq!(ours(&v), serde_json::to_vec(&v).unwrap());
        }

        #[test]
        fn strings_round_trip(s in any::<String>()) {
            let back: String = serde_json::from_slice(&ours(&s)).unwrap();
            prop_assert_eq!(back, s);
        }
    }

    #[derive(Serialize)]
    enum Shape {
        Unit,
        Newtype(u8),
        Tuple(u8, &'static str),
        Struct { a: Option<char>, b: () },
    }

    #[derive(Serialize)]
    struct Doc {
        shapes: Vec<Shape>,
        bytes: &'static [u8],
        keyed: std::collections::BTreeMap<char, (bool, f32)>,
        nan: f64,
    }

    #[test]
    fn derived_shapes_match_serde_json() {
        let doc = Doc {
            shapes: vec![
                Shape::Unit,
                Shape::Newtype(7),
                Shape::Tuple(1, "a\"\u{1f}\\"),
                Shape::Struct {
                    a: Some('\n'),
                    b: (),
                },
            ],
            bytes: b"\x00\xff",
            keyed: [('k', (true, 1.5))].into_iter().collect(),
            nan: f64::NAN,
        };
        assert_eq!(ours(&doc), serde_json::to_vec(&doc).unwrap());
    }

    #[test]
    fn map_keys_are_written_as_serde_json_writes_them() {
        use std::collections::BTreeMap;
        fn same<K: Serialize + Ord>(k: K) {
            let m: BTreeMap<K, u8> = [(k, 2)].into_iter().collect();
            assert_eq!(ours(&m), serde_json::to_vec(&m).unwrap());
        }
        same(-1_i32);
        same(u128::MAX);
        same(i128::MIN);
        same(true);
        same(Some('k'));
        same("a\"b");
        assert!(both_refuse(&[(None::<u8>, 2)]));
        assert!(both_refuse(&[((), 2)]));
    }

    fn both_refuse<K: Serialize>(pairs: &[(K, u8)]) -> bool {
        struct Map<'a, K>(&'a [(K, u8)]);
        impl<K: Serialize> Serialize for Map<'_, K> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(Some(self.0.len()))?;
                for (k, v) in self.0 {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
        write(&mut Vec::new(), &Map(pairs)).is_err() && serde_json::to_vec(&Map(pairs)).is_err()
    }

    #[test]
    fn float_keys_are_quoted_when_finite() {
        struct Key<F>(F);
        impl<F: Serialize + Copy> Serialize for Key<F> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry(&self.0, &0)?;
                m.end()
            }
        }
        assert_eq!(
            ours(&Key(1.1_f32)),
            serde_json::to_vec(&Key(1.1_f32)).unwrap()
        );
        assert_eq!(
            ours(&Key(-0.5_f64)),
            serde_json::to_vec(&Key(-0.5_f64)).unwrap()
        );
        assert!(write(&mut Vec::new(), &Key(f64::NAN)).is_err());
    }

    /// What `serde_json::Number` and `RawValue` look like to a serializer when a crate
    /// in the build turns on `arbitrary_precision` or `raw_value`.
    #[test]
    fn serde_json_verbatim_text_is_copied() {
        struct Verbatim(&'static str, &'static str);
        impl Serialize for Verbatim {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct;
                let mut st = s.serialize_struct(self.0, 1)?;
                st.serialize_field(self.0, self.1)?;
                st.end()
            }
        }
        let doc = (
            Verbatim("$serde_json::private::Number", "12345678901234567890123"),
            Verbatim("$serde_json::private::RawValue", "{\"a\":[1,2]}"),
        );
        assert_eq!(ours(&doc), b"[12345678901234567890123,{\"a\":[1,2]}]");
    }
}
