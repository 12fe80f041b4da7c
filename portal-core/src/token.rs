//! The one secret type: a 256-bit random token, shown to its holder once as 43
//! base64url characters and stored only as a SHA-256 digest.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::random::{RandomnessUnavailable, SecretSource};

/// Bytes of entropy in a token.
pub const TOKEN_BYTES: usize = 32;
/// Length of a token's text form: base64url of 32 bytes, without padding.
pub const TOKEN_CHARS: usize = 43;
// `Token::text` fills exactly this many characters.
const _: () = assert!(matches!(
    base64::encoded_len(TOKEN_BYTES, false),
    Some(TOKEN_CHARS)
));

/// A secret token: a session id, a magic link, an invitation, a password-set link.
///
/// It cannot be printed (`Debug` shows `Token(<redacted>)`, there is no `Display`) nor
/// serialised; [`Token::expose_secret`] is the one deliberate way to get its text,
/// used to put it in a link or a cookie.
pub struct Token([u8; TOKEN_BYTES]);

/// Why a string is not a token. Malformed input never reaches a store lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenParseError {
    /// Not exactly 43 characters.
    #[error("a token has exactly 43 characters")]
    WrongLength,
    /// A character outside the base64url alphabet, or unused trailing bits set.
    #[error("a token uses only the base64url alphabet")]
    Malformed,
}

impl Token {
    /// Draws a new token from `source`.
    pub fn generate(source: &dyn SecretSource) -> Result<Token, RandomnessUnavailable> {
        let mut bytes = [0u8; TOKEN_BYTES];
        source.fill(&mut bytes)?;
        Ok(Token(bytes))
    }

    /// Parses the text form strictly: exactly 43 characters of `A-Z a-z 0-9 - _`, with
    /// the unused low bits of the last character zero, so each token has one spelling.
    pub fn parse(text: &str) -> Result<Token, TokenParseError> {
        if text.len() != TOKEN_CHARS {
            return Err(TokenParseError::WrongLength);
        }
        let mut bytes = [0u8; TOKEN_BYTES];
        match URL_SAFE_NO_PAD.decode_slice(text.as_bytes(), &mut bytes) {
            Ok(TOKEN_BYTES) => Ok(Token(bytes)),
            _ => Err(TokenParseError::Malformed),
        }
    }

    /// The SHA-256 digest under which the token is stored.
    #[must_use]
    pub fn digest(&self) -> TokenDigest {
        TokenDigest(Sha256::digest(self.0).into())
    }

    /// The token's text form, for a link or a cookie. Never log it.
    #[must_use]
    pub fn expose_secret(&self) -> String {
        self.text().as_str().to_owned()
    }

    /// The text form without an allocation, for writing it straight into a response.
    pub(crate) fn text(&self) -> TokenText {
        let mut text = [0u8; TOKEN_CHARS];
        // The buffer fits exactly (asserted at compile time above): this cannot fail.
        let written = URL_SAFE_NO_PAD.encode_slice(self.0, &mut text);
        debug_assert_eq!(written, Ok(TOKEN_CHARS));
        TokenText(text)
    }

    /// A token derived from this one for another purpose (e.g. the CSRF token of a
    /// session): SHA-256 over a purpose label and the token. It reveals nothing of this
    /// token and cannot be computed without it.
    #[must_use]
    pub fn derive(&self, purpose: &str) -> Token {
        let mut h = Sha256::new();
        h.update(purpose.as_bytes());
        h.update([0u8]);
        h.update(self.0);
        Token(h.finalize().into())
    }
}

/// A token's text form on the stack (see [`Token::text`]); as secret as the token, so
/// it has neither `Debug` nor `Display`.
pub(crate) struct TokenText([u8; TOKEN_CHARS]);

impl TokenText {
    /// The 43 base64url characters.
    pub(crate) fn as_str(&self) -> &str {
        // base64url is ASCII: never the empty fallback.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl PartialEq for Token {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}
impl Eq for Token {}

/// Compares two secret strings in constant time (for lengths that are not secret).
#[must_use]
pub fn secrets_equal(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// The SHA-256 digest of a [`Token`]: what stores keep and look up by.
///
/// `Debug` shows only a short prefix, enough to correlate log lines.
#[derive(Clone, Copy, Eq)]
pub struct TokenDigest([u8; 32]);

impl TokenDigest {
    /// A digest from its raw bytes (as read back from a store).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        TokenDigest(bytes)
    }

    /// The raw bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A digest of arbitrary non-token data (e.g. a throttling key), so that such keys
    /// are stored in the same fixed-size, non-identifying form.
    #[must_use]
    pub fn of(data: &[u8]) -> Self {
        TokenDigest(Sha256::digest(data).into())
    }

    /// The first eight hex digits, for logs and traces.
    #[must_use]
    pub fn short(&self) -> String {
        self.0[..4].iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl PartialEq for TokenDigest {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl std::hash::Hash for TokenDigest {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // The digest is already uniform: eight of its bytes are as good a hash as any,
        // and together with `DigestHasher` this spares a second hash on every lookup.
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.0[..8]);
        state.write_u64(u64::from_le_bytes(b));
    }
}

impl fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenDigest({}..)", self.short())
    }
}

/// A `Hasher` that passes a [`TokenDigest`]'s own bytes through: for maps keyed by
/// digests, or by Portal's random ids, which are uniformly distributed already.
#[derive(Default, Clone, Copy, Debug)]
pub struct DigestHasher(u64);

impl std::hash::Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only reached for non-digest keys; fold them so the hasher stays correct.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn write_u128(&mut self, n: u128) {
        // An id: random (version 4) but for six fixed bits, which folding the halves
        // mixes with random ones.
        let [high, low] = [(n >> 64) as u64, n as u64];
        self.0 = high ^ low;
    }
}

/// `BuildHasher` for [`DigestHasher`].
pub type BuildDigestHasher = std::hash::BuildHasherDefault<DigestHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeededSecretSource;
    use proptest::prelude::*;

    #[test]
    fn text_form_is_43_base64url_chars() {
        let t = Token::generate(&SeededSecretSource::new(1)).unwrap();
        let s = t.expose_secret();
        assert_eq!(s.len(), TOKEN_CHARS);
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(Token::parse(&s).unwrap(), t);
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let t = Token::generate(&SeededSecretSource::new(2)).unwrap();
        let shown = format!("{t:?} {:?}", t.digest());
        assert!(!shown.contains(&t.expose_secret()));
        assert!(!shown.contains(&t.expose_secret()[..8]));
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");
    }

    #[test]
    fn malformed_tokens_are_typed_errors() {
        let good = Token::generate(&SeededSecretSource::new(3))
            .unwrap()
            .expose_secret();
        assert_eq!(Token::parse(""), Err(TokenParseError::WrongLength));
        assert_eq!(Token::parse(&good[..42]), Err(TokenParseError::WrongLength));
        assert_eq!(
            Token::parse(&format!("{good}A")),
            Err(TokenParseError::WrongLength)
        );
        let plus = format!("+{}", &good[1..]);
        assert_eq!(Token::parse(&plus), Err(TokenParseError::Malformed));
        let padded = format!("{}=", &good[..42]);
        assert_eq!(Token::parse(&padded), Err(TokenParseError::Malformed));
        // 43 bytes but not 43 characters of the alphabet.
        let accented = format!("é{}", &good[2..]);
        assert_eq!(accented.len(), 43);
        assert_eq!(Token::parse(&accented), Err(TokenParseError::Malformed));
    }

    #[test]
    fn non_canonical_trailing_bits_are_refused() {
        // 32 bytes leave 2 unused bits in the last character; "B" sets one of them.
        let zeros = "A".repeat(43);
        assert!(Token::parse(&zeros).is_ok());
        let odd = format!("{}B", "A".repeat(42));
        assert_eq!(Token::parse(&odd), Err(TokenParseError::Malformed));
    }

    #[test]
    fn digest_is_sha256_of_the_bytes() {
        let t = Token::parse(&"A".repeat(43)).unwrap();
        assert_eq!(
            t.digest().as_bytes(),
            &<[u8; 32]>::from(Sha256::digest([0u8; 32]))
        );
    }

    #[test]
    fn derived_values_depend_on_purpose_and_token() {
        let s = SeededSecretSource::new(4);
        let (a, b) = (Token::generate(&s).unwrap(), Token::generate(&s).unwrap());
        assert_ne!(a.derive("csrf"), a.derive("other"));
        assert_ne!(a.derive("csrf"), b.derive("csrf"));
        assert_ne!(a.derive("csrf"), a);
        assert!(secrets_equal(
            &a.derive("csrf").expose_secret(),
            &a.derive("csrf").expose_secret()
        ));
    }

    #[test]
    fn digests_compare_by_value_and_print_a_prefix() {
        let (a, b) = (TokenDigest::of(b"a"), TokenDigest::of(b"b"));
        assert_eq!(a, TokenDigest::from_bytes(*a.as_bytes()));
        assert_ne!(a, b);
        let mut last_differs = *a.as_bytes();
        last_differs[31] ^= 1;
        assert_ne!(a, TokenDigest::from_bytes(last_differs));
        // SHA-256("a") begins ca978112.
        assert_eq!(a.short(), "ca978112");
        assert_eq!(format!("{a:?}"), "TokenDigest(ca978112..)");
    }

    fn hash_of(value: impl std::hash::Hash) -> u64 {
        use std::hash::BuildHasher as _;
        BuildDigestHasher::default().hash_one(value)
    }

    #[test]
    fn a_digest_hashes_to_its_own_first_eight_bytes() {
        let d = TokenDigest::of(b"a");
        let mut first = [0u8; 8];
        first.copy_from_slice(&d.as_bytes()[..8]);
        assert_eq!(hash_of(d), u64::from_le_bytes(first));
    }

    proptest! {
        // Maps keyed by digests and ids spread their keys only if every bit of the
        // key reaches the hash: one bit flipped anywhere changes it.
        #[test]
        fn every_bit_of_an_id_reaches_its_hash(id in any::<u128>(), bit in 0u32..128) {
            prop_assert_ne!(hash_of(id), hash_of(id ^ (1u128 << bit)));
        }

        #[test]
        fn every_byte_of_other_keys_reaches_their_hash(
            bytes in proptest::collection::vec(any::<u8>(), 1..24),
            pos in any::<proptest::sample::Index>(),
            flip in 1u8..=255,
        ) {
            let mut other = bytes.clone();
            other[pos.index(bytes.len())] ^= flip;
            let hash = |b: &[u8]| {
                use std::hash::Hasher as _;
                let mut h = DigestHasher::default();
                h.write(b);
                h.finish()
            };
            prop_assert_ne!(hash(&bytes), hash(&other));
        }

        #[test]
        fn any_token_round_trips(bytes in any::<[u8; 32]>()) {
            let t = Token(bytes);
            let s = t.expose_secret();
            prop_assert_eq!(s.len(), TOKEN_CHARS);
            prop_assert_eq!(Token::parse(&s).unwrap().0, bytes);
        }

        #[test]
        fn arbitrary_strings_never_panic_and_only_canonical_forms_parse(s in ".{0,60}") {
            if let Ok(t) = Token::parse(&s) {
                prop_assert_eq!(t.expose_secret(), s);
            }
        }

        #[test]
        fn near_miss_strings_are_refused(bytes in any::<[u8; 32]>(), pos in 0usize..43, c in any::<char>()) {
            let s = Token(bytes).expose_secret();
            let mut chars: Vec<char> = s.chars().collect();
            chars[pos] = c;
            let mutated: String = chars.into_iter().collect();
            match Token::parse(&mutated) {
                Ok(t) => prop_assert_eq!(t.expose_secret(), mutated),
                Err(_) => prop_assert!(!(c.is_ascii_alphanumeric() || c == '-' || c == '_') || pos == 42),
            }
        }
    }
}
