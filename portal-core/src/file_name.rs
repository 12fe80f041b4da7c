//! The name an uploaded file is shown under, made from whatever name the client sent.
//!
//! A browser sends a file's name with each upload, and a hostile client sends anything:
//! a path (`../../etc/passwd`, `C:\Windows\evil.exe`), NUL and control characters,
//! bidirectional overrides that make `invoice<U+202E>fdp.exe` read as `invoiceexe.pdf`,
//! or a name of thousands of characters. [`DisplayName::from_client`] turns any of it
//! into text fit to show and nothing else:
//!
//! - only the last path segment is kept, split on both `/` and `\`;
//! - it is put in Unicode NFC, so one name typed on two systems compares and sorts alike;
//! - whitespace (tabs and line breaks included) becomes one space per run, with none at
//!   either end;
//! - control characters (NUL included) and format characters (bidirectional overrides
//!   and isolates, zero-width characters, the byte-order mark, …) are removed;
//! - leading dots are removed, so no name looks like a hidden file or a parent folder;
//! - it is at most [`DisplayName::MAX_CHARS`] characters, cut in its stem so that the
//!   extension survives;
//! - it is never empty: nothing left gives [`DisplayName::FALLBACK`].
//!
//! Markup is not removed: every page escapes what it shows.

use std::fmt;

use unicode_normalization::UnicodeNormalization as _;

/// The display name of an uploaded file: text to show a person, and only that.
///
/// It is never a path and never a storage key. Blobs are stored under names Portal
/// generates, and nothing here ever reaches a file system path, an object key or a
/// shell: a name that passed through [`DisplayName::from_client`] is safe to show and to
/// offer as a download's suggested name, not to open. It has no conversion to
/// [`std::path::Path`] on purpose.
///
/// ```
/// use portal_core::file_name::DisplayName;
///
/// let name = DisplayName::from_client("C:\\Users\\jane\\..\\Bank\u{202E}fdp.exe");
/// assert_eq!(name.as_str(), "Bankfdp.exe");
/// assert_eq!(DisplayName::from_client("../../").as_str(), "file");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DisplayName(String);

impl DisplayName {
    /// The most characters (Unicode scalar values) a display name holds.
    pub const MAX_CHARS: usize = 120;

    /// The longest name an upload may send, in bytes (UTF-8): what common file systems
    /// allow for one name.
    pub const MAX_SENT_BYTES: usize = 255;

    /// The name of a file whose sent name left nothing to show.
    pub const FALLBACK: &'static str = "file";

    /// The longest extension kept whole when a long name is cut: past it, what follows
    /// the last dot is not taken for an extension.
    const MAX_EXTENSION_CHARS: usize = 16;

    /// The display name for the name a client sent (see the module's documentation for
    /// each rule). Never fails: a name with nothing left becomes [`Self::FALLBACK`].
    ///
    /// Normalising a display name again gives it back unchanged, so a name read back
    /// from storage can go through here too.
    pub fn from_client(sent: &str) -> Self {
        // A path's folders say where the file was on the client's machine, and may
        // climb (`..`): only the file's own name is kept.
        let last = sent.rsplit(['/', '\\']).next().unwrap_or_default();

        let mut cleaned = String::with_capacity(last.len().min(4 * Self::MAX_CHARS));
        let mut pending_space = false;
        for c in last.chars() {
            if c.is_whitespace() {
                pending_space = !cleaned.is_empty();
            } else if c.is_control() || is_format(c) {
                // NUL and control characters rewrite terminals and split log lines;
                // format characters (bidi overrides, zero-width marks) make a name
                // read otherwise than it is (`invoice<RLO>fdp.exe` shows `…exe.pdf`).
                continue;
            } else {
                if pending_space {
                    cleaned.push(' ');
                    pending_space = false;
                }
                cleaned.push(c);
            }
        }

        // Composed after the removals, so that a mark that stood between a letter and
        // its accent no longer keeps them apart, and normalising again changes nothing.
        let cleaned: String = cleaned.nfc().collect();
        // A leading dot hides a file on Unix and `..` names a parent folder: neither is
        // a name to show.
        let cleaned = cleaned.trim_start_matches(['.', ' ']);
        if cleaned.is_empty() {
            return DisplayName(Self::FALLBACK.to_owned());
        }
        DisplayName(shorten(cleaned))
    }

    /// The display name of a file a client uploads now, or why its name is refused.
    ///
    /// [`DisplayName::from_client`] makes something showable of any name; an upload's
    /// name is held to more, since a browser sends a file's own name and nothing else.
    /// A name that could only come from a hostile or broken client is refused rather
    /// than repaired, so that the person sees why: a path (`/` or `\`), control or
    /// format characters (NUL, bidirectional overrides), a leading dot, no name at all,
    /// or more than [`Self::MAX_SENT_BYTES`] bytes (what file systems allow). What
    /// passes is normalised as [`DisplayName::from_client`] does (NFC, whitespace, at
    /// most [`Self::MAX_CHARS`] characters).
    pub fn from_upload(sent: &str) -> Result<Self, NameRefused> {
        let refused = if sent.trim().is_empty() {
            Some(NameRefused::Empty)
        } else if sent.len() > Self::MAX_SENT_BYTES {
            Some(NameRefused::TooLong)
        } else if sent.contains(['/', '\\']) {
            Some(NameRefused::Path)
        } else if sent.chars().any(|c| c.is_control() || is_format(c)) {
            Some(NameRefused::Hidden)
        } else if sent.starts_with('.') {
            Some(NameRefused::Dot)
        } else {
            None
        };
        match refused {
            Some(why) => Err(why),
            None => Ok(Self::from_client(sent)),
        }
    }

    /// The name, as text to show.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name, as an owned string to show.
    pub fn into_string(self) -> String {
        self.0
    }

    /// What follows the name's last dot, when it reads as an extension: 1 to 16 ASCII
    /// letters or digits (`pdf`, `JPG`, `docx`), as sent (not lowercased). A name
    /// without a dot, or ending in one, or whose last dot is followed by anything else
    /// (`report. final draft`) has none.
    pub fn extension(&self) -> Option<&str> {
        extension_of(&self.0)
    }
}

/// Why an uploaded file's name is refused (see [`DisplayName::from_upload`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameRefused {
    /// No name at all.
    #[error("the file has no name")]
    Empty,
    /// Longer than [`DisplayName::MAX_SENT_BYTES`] bytes.
    #[error("the file name is longer than 255 bytes")]
    TooLong,
    /// A path rather than a name.
    #[error("the file name holds a path")]
    Path,
    /// Control characters or characters that change how text reads.
    #[error("the file name holds control or invisible formatting characters")]
    Hidden,
    /// A name starting with a dot (a hidden file, a parent folder).
    #[error("the file name starts with a dot")]
    Dot,
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for DisplayName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

fn extension_of(name: &str) -> Option<&str> {
    let (stem, extension) = name.rsplit_once('.')?;
    let fits = !stem.is_empty()
        && (1..=DisplayName::MAX_EXTENSION_CHARS).contains(&extension.len())
        && extension.bytes().all(|b| b.is_ascii_alphanumeric());
    fits.then_some(extension)
}

/// `name` cut to [`DisplayName::MAX_CHARS`] characters, the extension kept: a 300
/// character `Statement ….pdf` still opens as a PDF once downloaded.
fn shorten(name: &str) -> String {
    if name.chars().count() <= DisplayName::MAX_CHARS {
        return name.to_owned();
    }
    let cut = |text: &str, room: usize| -> String {
        let kept: String = text.chars().take(room).collect();
        kept.trim_end().to_owned()
    };
    match extension_of(name) {
        Some(extension) => {
            let stem = &name[..name.len() - extension.len() - 1];
            let room = DisplayName::MAX_CHARS - extension.len() - 1;
            format!("{}.{extension}", cut(stem, room))
        }
        None => cut(name, DisplayName::MAX_CHARS),
    }
}

/// Whether `c` is a Unicode format character (general category Cf, Unicode 15.1):
/// invisible, and some of them reorder or hide the text around them.
fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            // Bidirectional embeddings and overrides (LRE, RLE, PDF, LRO, RLO).
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            // Bidirectional isolates (LRI, RLI, FSI, PDI), then deprecated format marks.
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_name_that_only_a_hostile_client_sends_is_refused() {
        let long = format!("{}.pdf", "a".repeat(300));
        for (sent, why) in [
            ("", NameRefused::Empty),
            ("   ", NameRefused::Empty),
            ("../../etc/passwd", NameRefused::Path),
            ("/etc/passwd", NameRefused::Path),
            ("C:\\Windows\\evil.pdf", NameRefused::Path),
            ("a\0b.pdf", NameRefused::Hidden),
            ("line\nbreak.pdf", NameRefused::Hidden),
            ("invoice\u{202E}fdp.exe", NameRefused::Hidden),
            (".htaccess", NameRefused::Dot),
            ("..", NameRefused::Dot),
            (long.as_str(), NameRefused::TooLong),
        ] {
            assert_eq!(DisplayName::from_upload(sent), Err(why), "{sent:?}");
        }
        let sent = "Bank  statement 2025.pdf";
        assert_eq!(
            DisplayName::from_upload(sent).unwrap(),
            DisplayName::from_client(sent)
        );
        // 254 bytes pass, and are cut to what a display name holds.
        let fits = format!("{}.pdf", "é".repeat(125));
        let name = DisplayName::from_upload(&fits).unwrap();
        assert_eq!(name.as_str().chars().count(), DisplayName::MAX_CHARS);
        assert_eq!(name.extension(), Some("pdf"));
    }
    use proptest::prelude::*;

    fn shown(sent: &str) -> String {
        DisplayName::from_client(sent).into_string()
    }

    #[test]
    fn only_the_last_path_segment_is_kept() {
        assert_eq!(shown("../../etc/passwd"), "passwd");
        assert_eq!(shown("/etc/passwd"), "passwd");
        assert_eq!(shown("C:\\Windows\\System32\\evil.exe"), "evil.exe");
        assert_eq!(shown("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(shown("a/b\\c/statement.pdf"), "statement.pdf");
        assert_eq!(shown("\\\\server\\share\\receipt.png"), "receipt.png");
    }

    #[test]
    fn names_that_are_only_a_path_fall_back() {
        for sent in [
            "",
            "..",
            "../",
            "../..",
            "/",
            "\\",
            "...",
            " . . ",
            "dir/",
            "C:\\dir\\",
        ] {
            assert_eq!(shown(sent), DisplayName::FALLBACK, "{sent:?}");
        }
    }

    #[test]
    fn leading_dots_are_removed() {
        assert_eq!(shown(".bashrc"), "bashrc");
        assert_eq!(shown("...hidden.txt"), "hidden.txt");
        assert_eq!(shown(". .x.pdf"), "x.pdf");
        // Dots inside the name are its own business.
        assert_eq!(shown("v1.2..final.pdf"), "v1.2..final.pdf");
    }

    #[test]
    fn nul_and_control_characters_are_removed() {
        assert_eq!(shown("evil\0.pdf"), "evil.pdf");
        assert_eq!(shown("report.pdf\0.exe"), "report.pdf.exe");
        assert_eq!(shown("\u{1b}[31mred\u{1b}[0m.txt"), "[31mred[0m.txt");
        assert_eq!(shown("bell\u{7}\u{7f}\u{9b}.csv"), "bell.csv");
        // Control characters that break lines count as whitespace.
        assert_eq!(shown("next\u{85}line\u{b}\u{c}2.csv"), "next line 2.csv");
    }

    #[test]
    fn bidi_overrides_isolates_and_other_format_characters_are_removed() {
        // RLO: shown as "invoiceexe.pdf" by a bidi-aware renderer.
        assert_eq!(shown("invoice\u{202E}fdp.exe"), "invoicefdp.exe");
        for c in ('\u{202A}'..='\u{202E}').chain('\u{2066}'..='\u{2069}') {
            assert_eq!(shown(&format!("a{c}b.pdf")), "ab.pdf", "U+{:04X}", c as u32);
        }
        // Zero-width space, LRM, word joiner, BOM, soft hyphen, a tag character.
        assert_eq!(
            shown("\u{FEFF}sta\u{200B}te\u{200E}ment\u{2060}\u{AD}\u{E0041}.pdf"),
            "statement.pdf"
        );
    }

    #[test]
    fn whitespace_is_collapsed_and_trimmed() {
        assert_eq!(
            shown("  bank \t\n statement\u{2028}\u{3000}2024 .pdf  "),
            "bank statement 2024 .pdf"
        );
        assert_eq!(shown("\t\r\n"), DisplayName::FALLBACK);
        // A removed character does not split a run of spaces into two.
        assert_eq!(shown("a \u{202E} b"), "a b");
    }

    #[test]
    fn names_are_put_in_nfc() {
        let decomposed = "Cafe\u{301} re\u{301}sume\u{301}.pdf";
        assert_eq!(shown(decomposed), "Caf\u{e9} r\u{e9}sum\u{e9}.pdf");
        // A removed zero-width space no longer keeps the letter from its accent.
        assert_eq!(shown("e\u{200B}\u{301}.txt"), "\u{e9}.txt");
    }

    #[test]
    fn long_names_are_cut_keeping_the_extension() {
        let long = format!("{}.pdf", "a".repeat(296));
        let name = shown(&long);
        assert_eq!(name.chars().count(), DisplayName::MAX_CHARS);
        assert!(name.ends_with("aaa.pdf"), "{name}");

        // Counted in characters, not bytes, and cut on a character boundary.
        let long = format!("{}.xlsx", "\u{e9}".repeat(300));
        let name = shown(&long);
        assert_eq!(name.chars().count(), DisplayName::MAX_CHARS);
        assert!(name.ends_with("\u{e9}.xlsx"));

        // No extension, or one too long to be one: cut as a whole.
        assert_eq!(shown(&"b".repeat(300)), "b".repeat(DisplayName::MAX_CHARS));
        let name = shown(&format!("x.{}", "y".repeat(300)));
        assert_eq!(name.chars().count(), DisplayName::MAX_CHARS);

        // A cut that lands on a space leaves none before the dot.
        let long = format!("{} tail.pdf", "c".repeat(115));
        assert_eq!(shown(&long), format!("{}.pdf", "c".repeat(115)));

        // Exactly the limit is kept whole.
        let exact = format!("{}.pdf", "d".repeat(DisplayName::MAX_CHARS - 4));
        assert_eq!(shown(&exact), exact);
    }

    #[test]
    fn extensions_are_short_ascii_words_after_the_last_dot() {
        let ext = |s: &str| DisplayName::from_client(s).extension().map(str::to_owned);
        assert_eq!(ext("a.pdf").as_deref(), Some("pdf"));
        assert_eq!(ext("archive.tar.GZ").as_deref(), Some("GZ"));
        assert_eq!(ext("pdf"), None);
        assert_eq!(
            ext(".pdf"),
            None,
            "a leading dot is removed, not an extension"
        );
        assert_eq!(ext("a."), None);
        assert_eq!(ext("report. final draft"), None);
        assert_eq!(ext("a.pdf\u{202E}").as_deref(), Some("pdf"));
        assert_eq!(ext(&format!("a.{}", "p".repeat(17))), None);
    }

    #[test]
    fn markup_is_kept_as_text() {
        // A slash would end it at the last segment; without one it is kept, as text.
        assert_eq!(
            shown("<img src=x onerror=alert(1)>.pdf"),
            "<img src=x onerror=alert(1)>.pdf"
        );
        assert_eq!(shown("<script>alert(1)</script>.pdf"), "script>.pdf");
    }

    proptest! {
        #[test]
        fn any_name_gives_a_short_clean_name_that_normalises_to_itself(sent in any::<String>()) {
            let name = DisplayName::from_client(&sent);
            let s = name.as_str();
            prop_assert!(!s.is_empty());
            prop_assert!(s.chars().count() <= DisplayName::MAX_CHARS);
            prop_assert!(!s.contains(['/', '\\']));
            prop_assert!(!s.starts_with(['.', ' ']) && !s.ends_with(' '));
            prop_assert!(!s.contains("  "));
            prop_assert!(s.chars().all(|c| !c.is_control() && !is_format(c)));
            prop_assert!(s.chars().all(|c| c == ' ' || !c.is_whitespace()));
            prop_assert_eq!(&DisplayName::from_client(s), &name);
        }
    }
}
