//! An amount of money as an exact decimal with its currency: never a float, so that
//! `0.10` stays `0.10` from the staff member's entry to the client's screen.

use std::fmt;

use super::problem::{EvidenceError, Problem};

/// An ISO 4217 currency code, three capital letters (`EUR`, `USD`, `JPY`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Parses a code of three ASCII letters (either case; kept in capitals).
    pub fn parse(code: &str) -> Result<Currency, EvidenceError> {
        match code.trim().as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_alphabetic()) => Ok(Currency([
                a.to_ascii_uppercase(),
                b.to_ascii_uppercase(),
                c.to_ascii_uppercase(),
            ])),
            _ => Err(EvidenceError::new("currency", Problem::Malformed)),
        }
    }

    /// The code.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Three ASCII letters, checked by `parse`.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// How many decimals the currency's amounts have: ISO 4217's minor units, 2 for
    /// the currencies it does not list apart.
    #[must_use]
    pub fn decimals(&self) -> u8 {
        match self.as_str() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF"
            | "UGX" | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            "CLF" | "UYW" => 4,
            _ => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An exact amount: a whole number of the currency's smallest unit (cents for `EUR`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Amount {
    minor: i64,
    currency: Currency,
}

/// The most digits before the decimal point: a trillion and more fits, and the whole
/// amount in minor units stays far inside an `i64`.
const MAX_WHOLE_DIGITS: usize = 13;

impl Amount {
    /// Parses `value` (`1234.5`, `-0.10`, `12`: an optional minus, digits, and at most
    /// the currency's decimals after a point) in `currency`.
    pub fn parse(value: &str, currency: Currency) -> Result<Amount, EvidenceError> {
        let malformed = || EvidenceError::new("amount", Problem::Malformed);
        let value = value.trim();
        let (negative, digits) = match value.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, value),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || whole.len() > MAX_WHOLE_DIGITS
            || !all_digits(whole)
            || !all_digits(fraction)
            || (digits.contains('.') && fraction.is_empty())
        {
            return Err(malformed());
        }
        let max = currency.decimals();
        if fraction.len() > usize::from(max) {
            return Err(EvidenceError::new(
                "amount",
                Problem::TooManyDecimals { max },
            ));
        }
        let padded = format!("{whole}{fraction:0<width$}", width = usize::from(max));
        let magnitude: i64 = padded.parse().map_err(|_| malformed())?;
        Ok(Amount {
            minor: if negative { -magnitude } else { magnitude },
            currency,
        })
    }

    /// The amount from its stored form: whole minor units and the currency.
    #[must_use]
    pub fn from_minor(minor: i64, currency: Currency) -> Amount {
        Amount { minor, currency }
    }

    /// In the currency's smallest unit.
    #[must_use]
    pub fn minor(&self) -> i64 {
        self.minor
    }

    /// The currency.
    #[must_use]
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The value with exactly the currency's decimals, e.g. `-1234.50`.
    #[must_use]
    pub fn value(&self) -> String {
        let decimals = u32::from(self.currency.decimals());
        let scale = 10_u64.pow(decimals);
        let magnitude = self.minor.unsigned_abs();
        let sign = if self.minor < 0 { "-" } else { "" };
        match decimals {
            0 => format!("{sign}{magnitude}"),
            d => format!(
                "{sign}{}.{:0width$}",
                magnitude / scale,
                magnitude % scale,
                width = d as usize
            ),
        }
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.value(), self.currency)
    }
}

impl serde::Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut st = s.serialize_struct("Amount", 2)?;
        st.serialize_field("value", &self.value())?;
        st.serialize_field("currency", self.currency.as_str())?;
        st.end()
    }
}

impl<'de> serde::Deserialize<'de> for Amount {
    /// What [`Amount`]'s `Serialize` writes, parsed again as an entry would be.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Written {
            value: String,
            currency: String,
        }
        let w = Written::deserialize(d)?;
        Currency::parse(&w.currency)
            .and_then(|c| Amount::parse(&w.value, c))
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(v: &str) -> Result<Amount, EvidenceError> {
        Amount::parse(v, Currency::parse("eur").unwrap())
    }

    #[test]
    fn amounts_are_exact_in_the_currencys_decimals() {
        assert_eq!(eur("1234.5").unwrap().value(), "1234.50");
        assert_eq!(eur("-0.10").unwrap().value(), "-0.10");
        assert_eq!(eur("-0.10").unwrap().minor(), -10);
        assert_eq!(eur("12").unwrap().to_string(), "12.00 EUR");
        let yen = Currency::parse("JPY").unwrap();
        assert_eq!(Amount::parse("1500", yen).unwrap().value(), "1500");
        let dinar = Currency::parse("KWD").unwrap();
        assert_eq!(Amount::parse("1.5", dinar).unwrap().value(), "1.500");
        assert_eq!(
            Amount::from_minor(-1_500, dinar).value(),
            "-1.500",
            "read back from storage as written"
        );
    }

    #[test]
    fn too_many_decimals_and_malformed_amounts_are_refused() {
        assert_eq!(
            eur("1.234").unwrap_err().problem,
            Problem::TooManyDecimals { max: 2 }
        );
        let yen = Currency::parse("JPY").unwrap();
        assert_eq!(
            Amount::parse("1.5", yen).unwrap_err().problem,
            Problem::TooManyDecimals { max: 0 }
        );
        for bad in [
            "",
            "-",
            ".5",
            "1.",
            "1,5",
            "1e3",
            "+1",
            "--1",
            "1 000",
            "NaN",
            "0x10",
            "12345678901234",
        ] {
            assert_eq!(eur(bad).unwrap_err().problem, Problem::Malformed, "{bad:?}");
        }
        for bad in ["EU", "EURO", "E1R", "€"] {
            assert!(Currency::parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn a_written_amount_reads_back_the_same(minor in -9_999_999_999_999_i64..9_999_999_999_999) {
            let eur = Currency::parse("EUR").unwrap();
            let a = Amount::from_minor(minor, eur);
            proptest::prop_assert_eq!(Amount::parse(&a.value(), eur).unwrap(), a);
        }
    }
}
