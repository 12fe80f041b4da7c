//! What an uploaded file is, taken from its bytes, and whether Portal accepts it.
//!
//! A client's browser says what a file is twice, and both are claims: the declared
//! content type of the upload and the extension of its name. [`FileType::check`] reads
//! the file's first bytes (the `infer` crate's magic numbers, and a few checks of its
//! own), keeps the file only when they are one of the accepted kinds, and refuses it
//! when either claim says otherwise: an HTML page or a program renamed `.pdf`, or a PNG
//! whose bytes are a PDF, never reaches a reviewer's machine under a false name.
//!
//! Accepted ([`FileType`]): PDF, PNG, JPEG, HEIC, Word, Excel and PowerPoint documents
//! (`docx`, `xlsx`, `pptx`), CSV and plain text.
//!
//! - The Office formats are ZIP archives and their bytes do not say which one they are
//!   until deep inside. A ZIP is taken for an Office document only when its first bytes
//!   hold a package part that every Office file has (`[Content_Types].xml` or
//!   `_rels/.rels`; Microsoft Office writes the first at the start, LibreOffice the
//!   second); the extension then says which of the three it is, and a part folder seen
//!   among the first bytes (`word/`, `xl/`, `ppt/`) must agree with it. Any other ZIP
//!   (an OpenDocument file, a Java archive, a plain archive) is refused.
//! - CSV and plain text have no magic number: text is valid UTF-8 (a character cut by
//!   the end of the first block is fine) with no NUL, that no magic number claims (an
//!   HTML page, XML, a script with `#!` are refused), under a `.csv` or `.txt` name.
//!   UTF-16 text is refused, and so is text whose first bytes happen to be a magic
//!   number (a line starting `MZ`, as Windows programs do): refusing is the safe side.
//! - A PDF must start with `%PDF-`. Readers look further in, and so does `infer`; a
//!   file with other content before the header (an HTML page that is also a PDF) is
//!   refused.
//! - The extension must be one of the kind's ([`FileType::extensions`], any case); a
//!   name without one is refused, since the file would not open once downloaded.
//! - A declared content type must be one that browsers send for that kind (a CSV is
//!   declared `application/vnd.ms-excel` by Windows browsers). None at all, or
//!   `application/octet-stream` (what a browser sends when it does not know), claims
//!   nothing and is fine.
//!
//! Only the first [`SNIFF_LEN`] bytes are read, so an upload is checked while it
//! streams, before anything is stored.

use crate::file_name::DisplayName;

/// How many of a file's first bytes [`FileType::check`] reads: pass that many, or the
/// whole file when it is shorter. More are ignored.
pub const SNIFF_LEN: usize = 8 * 1024;

/// A kind of file Portal accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileType {
    /// A PDF document.
    Pdf,
    /// A PNG image.
    Png,
    /// A JPEG image.
    Jpeg,
    /// A HEIC (HEIF) image, as iPhones take them.
    Heic,
    /// A Word document (Office Open XML).
    Docx,
    /// An Excel workbook (Office Open XML).
    Xlsx,
    /// A PowerPoint presentation (Office Open XML).
    Pptx,
    /// Comma-separated values, UTF-8.
    Csv,
    /// Plain text, UTF-8.
    Text,
}

/// Why an upload's type was refused. Each message names what was wrong, short enough
/// for a 4xx answer, and repeats nothing the client sent but a checked content type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FileTypeError {
    /// The file has no bytes.
    #[error("the file is empty")]
    Empty,
    /// The bytes are a known kind that Portal does not accept (a program, a web page,
    /// an archive, …).
    #[error("files of type {found} are not accepted")]
    NotAllowed {
        /// What the bytes are, as a content type.
        found: &'static str,
    },
    /// The bytes are of no kind Portal knows, nor text.
    #[error(
        "the file's type could not be recognised (accepted: PDF, PNG, JPEG, HEIC, Word, \
         Excel, PowerPoint, CSV, plain text)"
    )]
    Unrecognised,
    /// The name's extension is missing or not one of the kind the bytes are.
    #[error("the file's name does not match its content ({found})")]
    ExtensionMismatch {
        /// What the bytes are, as a content type (`an Office document` for a package
        /// whose part folders were not among the first bytes).
        found: &'static str,
    },
    /// The declared content type is not the kind the bytes are.
    #[error("the file was sent as {declared} but its content is {found}")]
    DeclaredMismatch {
        /// The declared content type, lowercased, parameters left out.
        declared: String,
        /// What the bytes are, as a content type.
        found: &'static str,
    },
    /// The declared content type is not a content type at all.
    #[error("the file's declared content type is not readable")]
    DeclaredUnreadable,
}

impl FileType {
    /// Every accepted kind.
    pub const ALL: [FileType; 9] = [
        FileType::Pdf,
        FileType::Png,
        FileType::Jpeg,
        FileType::Heic,
        FileType::Docx,
        FileType::Xlsx,
        FileType::Pptx,
        FileType::Csv,
        FileType::Text,
    ];

    /// The content type a download of this kind is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
            FileType::Heic => "image/heic",
            FileType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileType::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            FileType::Csv => "text/csv",
            FileType::Text => "text/plain",
        }
    }

    /// The kind whose [`content_type`](FileType::content_type) is `content_type`, as a
    /// stored row names it.
    #[must_use]
    pub fn from_content_type(content_type: &str) -> Option<FileType> {
        FileType::ALL
            .into_iter()
            .find(|t| t.content_type() == content_type)
    }

    /// The extensions a file of this kind may have (lowercase; matched in any case).
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            FileType::Pdf => &["pdf"],
            FileType::Png => &["png"],
            FileType::Jpeg => &["jpg", "jpeg"],
            FileType::Heic => &["heic", "heif"],
            FileType::Docx => &["docx"],
            FileType::Xlsx => &["xlsx"],
            FileType::Pptx => &["pptx"],
            FileType::Csv => &["csv"],
            FileType::Text => &["txt"],
        }
    }

    /// The content types a browser may declare for a file of this kind.
    fn declared_as(self) -> &'static [&'static str] {
        match self {
            FileType::Pdf => &["application/pdf", "application/x-pdf"],
            FileType::Png => &["image/png", "image/x-png"],
            FileType::Jpeg => &["image/jpeg", "image/jpg", "image/pjpeg"],
            FileType::Heic => &[
                "image/heic",
                "image/heif",
                "image/heic-sequence",
                "image/heif-sequence",
            ],
            FileType::Csv => &[
                "text/csv",
                "text/x-csv",
                "application/csv",
                "text/comma-separated-values",
                // What Windows browsers send for `.csv` where Excel is installed.
                "application/vnd.ms-excel",
                "text/plain",
            ],
            FileType::Text => &["text/plain"],
            FileType::Docx | FileType::Xlsx | FileType::Pptx => &[],
        }
    }

    /// The kind of an upload, from its first bytes `head` (at least [`SNIFF_LEN`] of
    /// them, or the whole file when it is shorter), checked against the declared
    /// content type (`None` when the upload declared none) and the extension of its
    /// display name. See the module's documentation for each rule.
    ///
    /// ```
    /// use portal_core::file_name::DisplayName;
    /// use portal_core::file_type::{FileType, FileTypeError};
    ///
    /// let pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n";
    /// let name = DisplayName::from_client("Bank statement.PDF");
    /// assert_eq!(FileType::check(pdf, Some("application/pdf"), &name), Ok(FileType::Pdf));
    ///
    /// let page = b"<!DOCTYPE html><html><script>alert(1)</script></html>";
    /// let renamed = DisplayName::from_client("invoice.pdf");
    /// assert_eq!(
    ///     FileType::check(page, Some("application/pdf"), &renamed),
    ///     Err(FileTypeError::NotAllowed { found: "text/html" }),
    /// );
    /// ```
    pub fn check(
        head: &[u8],
        declared: Option<&str>,
        name: &DisplayName,
    ) -> Result<FileType, FileTypeError> {
        let cut = head.len() >= SNIFF_LEN;
        let head = &head[..head.len().min(SNIFF_LEN)];
        if head.is_empty() {
            return Err(FileTypeError::Empty);
        }
        let extension = name.extension().map(str::to_ascii_lowercase);
        let extension = extension.as_deref();

        let found = match sniff(head, cut)? {
            Sniffed::Kind(kind) => kind,
            Sniffed::Office { parts } => {
                // The bytes say "Office"; the extension picks which one, and must not
                // contradict a part folder seen in the bytes.
                let named = [FileType::Docx, FileType::Xlsx, FileType::Pptx]
                    .into_iter()
                    .find(|kind| extension.is_some_and(|e| kind.extensions().contains(&e)));
                match named {
                    Some(kind) if parts.iter().flatten().all(|part| *part == kind) => kind,
                    _ => {
                        let found = parts.iter().flatten().next().copied();
                        return Err(FileTypeError::ExtensionMismatch {
                            found: found.map_or(OFFICE, FileType::content_type),
                        });
                    }
                }
            }
            Sniffed::Text => match extension {
                Some("csv") => FileType::Csv,
                Some("txt") => FileType::Text,
                _ => {
                    return Err(FileTypeError::ExtensionMismatch {
                        found: FileType::Text.content_type(),
                    });
                }
            },
        };

        if !extension.is_some_and(|e| found.extensions().contains(&e)) {
            return Err(FileTypeError::ExtensionMismatch {
                found: found.content_type(),
            });
        }
        if let Some(declared) = declared_essence(declared)? {
            let matches = declared == found.content_type()
                || found.declared_as().contains(&declared.as_str());
            if !matches {
                return Err(FileTypeError::DeclaredMismatch {
                    declared,
                    found: found.content_type(),
                });
            }
        }
        Ok(found)
    }
}

impl std::fmt::Display for FileType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.content_type())
    }
}

/// How an Office document is named in errors when its part folder was not seen.
const OFFICE: &str = "an Office document";

/// What the first bytes say, before the extension is looked at.
enum Sniffed {
    /// A kind the bytes name alone.
    Kind(FileType),
    /// An Office Open XML package, with the kinds of the part folders seen in the
    /// first bytes (`word/`, `xl/`, `ppt/`; at most three distinct).
    Office { parts: [Option<FileType>; 3] },
    /// Text, with no magic number: CSV or plain text by its extension.
    Text,
}

fn sniff(head: &[u8], cut: bool) -> Result<Sniffed, FileTypeError> {
    if head.starts_with(ZIP_LOCAL_HEADER) {
        return office_package(head)
            .map(|parts| Sniffed::Office { parts })
            .ok_or(FileTypeError::NotAllowed {
                found: infer::get(head).map_or("application/zip", |t| t.mime_type()),
            });
    }
    match infer::get(head) {
        Some(kind) => {
            let found = kind.mime_type();
            match found {
                // A PDF with something else before its header is two files in one (a
                // page a browser would render, a PDF a reader would open).
                "application/pdf" if head.starts_with(b"%PDF-") => Ok(Sniffed::Kind(FileType::Pdf)),
                "image/png" => Ok(Sniffed::Kind(FileType::Png)),
                "image/jpeg" => Ok(Sniffed::Kind(FileType::Jpeg)),
                "image/heif" => Ok(Sniffed::Kind(FileType::Heic)),
                _ => Err(FileTypeError::NotAllowed { found }),
            }
        }
        None if is_text(head, cut) => Ok(Sniffed::Text),
        None => Err(FileTypeError::Unrecognised),
    }
}

/// The signature that starts a ZIP archive's first entry.
const ZIP_LOCAL_HEADER: &[u8] = b"PK\x03\x04";

/// The part folders of an Office Open XML package seen in a ZIP's first bytes, or
/// `None` when those bytes hold neither `[Content_Types].xml` nor `_rels/.rels`.
fn office_package(head: &[u8]) -> Option<[Option<FileType>; 3]> {
    let mut package = false;
    let mut parts = [None; 3];
    let mut at = 0;
    // Each entry starts with a local header: the signature, 26 bytes of which the
    // name's length is the little-endian u16 at offset 26, then the name. Entries are
    // found by their signature rather than by skipping sizes, which a streamed ZIP
    // leaves at zero; a signature inside compressed data at worst adds a name.
    while let Some(offset) = find(&head[at..], ZIP_LOCAL_HEADER) {
        let start = at + offset;
        at = start + ZIP_LOCAL_HEADER.len();
        let Some(len) = head.get(start + 26..start + 28) else {
            break;
        };
        let len = usize::from(u16::from_le_bytes([len[0], len[1]]));
        let name_at = start + 30;
        let Some(name) = head.get(name_at..name_at + len) else {
            break;
        };
        if name == b"[Content_Types].xml" || name == b"_rels/.rels" {
            package = true;
        }
        let part = if name.starts_with(b"word/") {
            Some(FileType::Docx)
        } else if name.starts_with(b"xl/") {
            Some(FileType::Xlsx)
        } else if name.starts_with(b"ppt/") {
            Some(FileType::Pptx)
        } else {
            None
        };
        let seen = part.is_none() || parts.contains(&part);
        if let (false, Some(free)) = (seen, parts.iter_mut().find(|p| p.is_none())) {
            *free = part;
        }
    }
    package.then_some(parts)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Whether `head` reads as UTF-8 text with no NUL; when the head was `cut` from a
/// longer file, a character cut at its end is fine.
fn is_text(head: &[u8], cut: bool) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        // `error_len() == None`: the bytes end in the middle of a character.
        Err(e) => cut && e.error_len().is_none(),
    }
}

/// The declared content type, lowercased and without parameters, or `None` when it
/// claims nothing. Anything that is not `type/subtype` of token characters (at most
/// 127 each, as registered types are) is unreadable.
fn declared_essence(declared: Option<&str>) -> Result<Option<String>, FileTypeError> {
    let Some(declared) = declared else {
        return Ok(None);
    };
    let essence = declared
        .split(';')
        .next()
        .unwrap_or_default()
        .trim_matches([' ', '\t'])
        .to_ascii_lowercase();
    if essence.is_empty() || essence == "application/octet-stream" {
        return Ok(None);
    }
    let token = |s: &str| {
        (1..=127).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    match essence.split_once('/') {
        Some((kind, sub)) if token(kind) && token(sub) => Ok(Some(essence)),
        _ => Err(FileTypeError::DeclaredUnreadable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n";
    const PNG: &[u8] =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xdb";
    const HTML: &[u8] = b"<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script>";
    const CSV: &[u8] = b"date,amount,payee\n2024-01-02,12.50,Caf\xc3\xa9 Rouge\n";

    fn heic() -> Vec<u8> {
        let mut b = vec![0, 0, 0, 0x18];
        b.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
        b.extend_from_slice(&[0, 0, 0, 0x10]);
        b.extend_from_slice(b"meta\0\0\0\0\0\0\0\0");
        b
    }

    fn elf() -> Vec<u8> {
        let mut b = b"\x7fELF\x02\x01\x01\0".to_vec();
        b.resize(128, 0);
        b
    }

    fn pe() -> Vec<u8> {
        let mut b = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0".to_vec();
        b.resize(256, 0);
        b.extend_from_slice(b"This program cannot be run in DOS mode.");
        b
    }

    /// A ZIP's local header for an entry stored under `name` holding `data`.
    fn entry(name: &str, data: &[u8]) -> Vec<u8> {
        let mut b = ZIP_LOCAL_HEADER.to_vec();
        b.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let size = u32::try_from(data.len()).unwrap().to_le_bytes();
        b.extend_from_slice(&size);
        b.extend_from_slice(&size);
        b.extend_from_slice(&u16::try_from(name.len()).unwrap().to_le_bytes());
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(name.as_bytes());
        b.extend_from_slice(data);
        b
    }

    fn zip(names: &[&str]) -> Vec<u8> {
        names
            .iter()
            .flat_map(|n| entry(n, b"<?xml version=\"1.0\"?><x/>"))
            .collect()
    }

    /// As Microsoft Office writes them: the content types first.
    fn office(folder: &str) -> Vec<u8> {
        zip(&[
            "[Content_Types].xml",
            "_rels/.rels",
            &format!("{folder}/_rels/document.xml.rels"),
            &format!("{folder}/document.xml"),
        ])
    }

    fn check(head: &[u8], declared: Option<&str>, name: &str) -> Result<FileType, FileTypeError> {
        FileType::check(head, declared, &DisplayName::from_client(name))
    }

    #[test]
    fn every_accepted_kind_is_recognised_under_its_names() {
        let cases: [(&[u8], &str, FileType); 12] = [
            (PDF, "statement.pdf", FileType::Pdf),
            (PNG, "receipt.PNG", FileType::Png),
            (JPEG, "photo.jpg", FileType::Jpeg),
            (JPEG, "photo.JPEG", FileType::Jpeg),
            (&heic(), "IMG_0001.HEIC", FileType::Heic),
            (&heic(), "IMG_0001.heif", FileType::Heic),
            (&office("word"), "letter.docx", FileType::Docx),
            (&office("xl"), "ledger.xlsx", FileType::Xlsx),
            (&office("ppt"), "deck.pptx", FileType::Pptx),
            (CSV, "bank.csv", FileType::Csv),
            (CSV, "notes.TXT", FileType::Text),
            (
                b"\xef\xbb\xbfplain text with a BOM\r\n",
                "a.txt",
                FileType::Text,
            ),
        ];
        for (bytes, name, kind) in cases {
            assert_eq!(check(bytes, None, name), Ok(kind), "{name}");
            assert_eq!(
                check(bytes, Some(kind.content_type()), name),
                Ok(kind),
                "{name}"
            );
        }
    }

    #[test]
    fn declared_types_browsers_send_are_accepted() {
        let cases: [(&[u8], &str, &str); 9] = [
            (PDF, "a.pdf", "Application/PDF; name=\"a.pdf\""),
            (PDF, "a.pdf", "application/octet-stream"),
            (PDF, "a.pdf", ""),
            (JPEG, "a.jpg", "image/pjpeg"),
            (&heic(), "a.heic", "image/heif"),
            (CSV, "a.csv", "application/vnd.ms-excel"),
            (CSV, "a.csv", "text/plain; charset=utf-8"),
            (CSV, "a.csv", "text/comma-separated-values"),
            (PNG, "a.png", " image/png "),
        ];
        for (bytes, name, declared) in cases {
            assert!(check(bytes, Some(declared), name).is_ok(), "{declared}");
        }
    }

    #[test]
    fn an_empty_file_is_refused() {
        assert_eq!(check(b"", None, "a.txt"), Err(FileTypeError::Empty));
        assert_eq!(
            check(b"", Some("application/pdf"), "a.pdf"),
            Err(FileTypeError::Empty)
        );
    }

    #[test]
    fn html_renamed_pdf_is_refused() {
        assert_eq!(
            check(HTML, Some("application/pdf"), "invoice.pdf"),
            Err(FileTypeError::NotAllowed { found: "text/html" })
        );
        // Leading whitespace and case do not hide it, nor a text extension.
        assert_eq!(
            check(b"\n\n  <HTML><a href=x>", None, "notes.txt"),
            Err(FileTypeError::NotAllowed { found: "text/html" })
        );
        assert_eq!(
            check(b"<?xml version=\"1.0\"?><svg/>", None, "a.txt"),
            Err(FileTypeError::NotAllowed { found: "text/xml" })
        );
        assert!(matches!(
            check(b"#!/bin/sh\nrm -rf ~\n", None, "a.txt"),
            Err(FileTypeError::NotAllowed { .. })
        ));
    }

    #[test]
    fn a_page_before_a_pdf_header_is_refused() {
        let polyglot = [&b"<html><script>alert(1)</script>\n"[..], PDF].concat();
        assert!(matches!(
            check(&polyglot, Some("application/pdf"), "a.pdf"),
            Err(FileTypeError::NotAllowed { .. })
        ));
    }

    #[test]
    fn executables_renamed_pdf_are_refused() {
        assert_eq!(
            check(&elf(), Some("application/pdf"), "report.pdf"),
            Err(FileTypeError::NotAllowed {
                found: "application/x-executable"
            })
        );
        assert_eq!(
            check(&pe(), Some("application/pdf"), "report.pdf"),
            Err(FileTypeError::NotAllowed {
                found: "application/vnd.microsoft.portable-executable"
            })
        );
    }

    #[test]
    fn png_bytes_declared_pdf_are_refused() {
        assert_eq!(
            check(PNG, Some("application/pdf"), "scan.png"),
            Err(FileTypeError::DeclaredMismatch {
                declared: "application/pdf".into(),
                found: "image/png"
            })
        );
        assert_eq!(
            check(PNG, None, "scan.pdf"),
            Err(FileTypeError::ExtensionMismatch { found: "image/png" })
        );
    }

    #[test]
    fn a_png_whose_bytes_are_a_pdf_is_refused() {
        assert_eq!(
            check(PDF, Some("image/png"), "photo.png"),
            Err(FileTypeError::ExtensionMismatch {
                found: "application/pdf"
            })
        );
        assert_eq!(
            check(PDF, Some("image/png"), "photo.pdf"),
            Err(FileTypeError::DeclaredMismatch {
                declared: "image/png".into(),
                found: "application/pdf"
            })
        );
    }

    #[test]
    fn the_extension_must_be_one_of_the_kind() {
        for name in ["statement", "statement.", "statement.jpg", "pdf", ".pdf"] {
            assert_eq!(
                check(PDF, None, name),
                Err(FileTypeError::ExtensionMismatch {
                    found: "application/pdf"
                }),
                "{name}"
            );
        }
        // JPEG and HEIC are images, but not each other.
        assert!(check(JPEG, None, "a.heic").is_err());
        assert!(check(&heic(), None, "a.jpg").is_err());
    }

    #[test]
    fn text_needs_a_csv_or_txt_name_and_no_nul() {
        for name in ["data.pdf", "data", "data.html", "data.docx"] {
            assert_eq!(
                check(CSV, None, name),
                Err(FileTypeError::ExtensionMismatch {
                    found: "text/plain"
                }),
                "{name}"
            );
        }
        assert_eq!(
            check(b"a,b\0,c\n", None, "a.csv"),
            Err(FileTypeError::Unrecognised)
        );
        // Not UTF-8 (Latin-1), or UTF-16 with its BOM.
        assert_eq!(
            check(b"caf\xe9,1\n", None, "a.csv"),
            Err(FileTypeError::Unrecognised)
        );
        assert_eq!(
            check(b"\xff\xfea\0,\0b\0", None, "a.csv"),
            Err(FileTypeError::Unrecognised)
        );
        // A CSV declared as something else.
        assert!(matches!(
            check(CSV, Some("text/html"), "a.csv"),
            Err(FileTypeError::DeclaredMismatch { .. })
        ));
        assert!(matches!(
            check(CSV, Some("text/csv"), "a.txt"),
            Err(FileTypeError::DeclaredMismatch { .. })
        ));
    }

    #[test]
    fn only_the_first_block_is_read_and_a_character_it_cuts_is_fine() {
        let mut long = vec![b'a'; SNIFF_LEN - 1];
        long.extend_from_slice("\u{e9}".as_bytes());
        long.extend_from_slice(b"\0\0 anything after the first block");
        assert_eq!(check(&long, None, "a.txt"), Ok(FileType::Text));
        // A whole file that ends inside a character is not text.
        assert_eq!(
            check(b"abc\xc3", None, "a.txt"),
            Err(FileTypeError::Unrecognised)
        );
    }

    #[test]
    fn other_images_and_text_that_looks_like_a_program_are_refused() {
        let mut avif = vec![0, 0, 0, 0x1c];
        avif.extend_from_slice(b"ftypavif\0\0\0\0avifmif1miaf");
        assert_eq!(
            check(&avif, Some("image/heic"), "a.heic"),
            Err(FileTypeError::NotAllowed {
                found: "image/avif"
            })
        );
        assert_eq!(
            check(b"GIF89a\x01\0\x01\0", None, "a.png"),
            Err(FileTypeError::NotAllowed { found: "image/gif" })
        );
        assert!(matches!(
            check(b"MZ Holdings,120.00\n", None, "a.csv"),
            Err(FileTypeError::NotAllowed { .. })
        ));
    }

    #[test]
    fn unknown_binary_is_unrecognised() {
        assert_eq!(
            check(&[0x00, 0x01, 0x02, 0xfe, 0xff], None, "a.pdf"),
            Err(FileTypeError::Unrecognised)
        );
    }

    #[test]
    fn office_documents_are_told_apart_by_extension_inside_a_package() {
        // LibreOffice writes `_rels/.rels` first and the content types last.
        let libre = zip(&["_rels/.rels", "docProps/app.xml", "word/document.xml"]);
        assert_eq!(check(&libre, None, "a.docx"), Ok(FileType::Docx));
        // A package whose part folders lie past the first bytes: the extension decides.
        let bare = zip(&["[Content_Types].xml"]);
        assert_eq!(check(&bare, None, "a.xlsx"), Ok(FileType::Xlsx));
        assert_eq!(
            check(&bare, None, "a.pdf"),
            Err(FileTypeError::ExtensionMismatch {
                found: "an Office document"
            })
        );
        // A workbook renamed `.docx`.
        assert_eq!(
            check(&office("xl"), None, "a.docx"),
            Err(FileTypeError::ExtensionMismatch {
                found: FileType::Xlsx.content_type()
            })
        );
        // A Word document declared as a spreadsheet.
        assert!(matches!(
            check(
                &office("word"),
                Some(FileType::Xlsx.content_type()),
                "a.docx"
            ),
            Err(FileTypeError::DeclaredMismatch { .. })
        ));
    }

    #[test]
    fn other_zips_are_refused() {
        let plain = zip(&["payload.exe", "readme.txt"]);
        assert_eq!(
            check(&plain, None, "a.docx"),
            Err(FileTypeError::NotAllowed {
                found: "application/zip"
            })
        );
        let mut odt = entry("mimetype", b"application/vnd.oasis.opendocument.text");
        odt.extend(entry("content.xml", b"<x/>"));
        assert!(matches!(
            check(&odt, None, "a.docx"),
            Err(FileTypeError::NotAllowed { .. })
        ));
        // Truncated headers do not read past the end.
        for len in 0..40 {
            let short = &office("word")[..len.min(office("word").len())];
            let _ = check(short, None, "a.docx");
        }
        let lying = [ZIP_LOCAL_HEADER, &[0xff; 26][..]].concat();
        assert!(check(&lying, None, "a.docx").is_err());
    }

    #[test]
    fn unreadable_declared_types_are_refused() {
        for declared in [
            "pdf",
            "application/",
            "/pdf",
            "application/pdf/x",
            "a b/c",
            "\u{e9}/x",
        ] {
            assert_eq!(
                check(PDF, Some(declared), "a.pdf"),
                Err(FileTypeError::DeclaredUnreadable),
                "{declared}"
            );
        }
        let long = format!("application/{}", "x".repeat(200));
        assert_eq!(
            check(PDF, Some(&long), "a.pdf"),
            Err(FileTypeError::DeclaredUnreadable)
        );
    }

    #[test]
    fn messages_name_what_was_wrong() {
        let message = |r: Result<FileType, FileTypeError>| r.unwrap_err().to_string();
        assert_eq!(message(check(b"", None, "a.pdf")), "the file is empty");
        assert_eq!(
            message(check(&elf(), None, "a.pdf")),
            "files of type application/x-executable are not accepted"
        );
        assert_eq!(
            message(check(PNG, Some("application/pdf"), "a.png")),
            "the file was sent as application/pdf but its content is image/png"
        );
        assert_eq!(
            message(check(PDF, None, "a.png")),
            "the file's name does not match its content (application/pdf)"
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        use proptest::prelude::*;
        let mut runner = proptest::test_runner::TestRunner::default();
        runner
            .run(
                &(
                    proptest::collection::vec(any::<u8>(), 0..600),
                    any::<bool>(),
                ),
                |(mut bytes, zip_start)| {
                    if zip_start {
                        bytes.splice(0..0, ZIP_LOCAL_HEADER.iter().copied());
                    }
                    let _ = check(&bytes, Some("application/pdf"), "a.docx");
                    Ok(())
                },
            )
            .unwrap();
    }
}
