//! A delivery that sends email through an SMTP server.

use std::fmt;

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Tokio1Executor};

use super::smtp_url::{SmtpSecurity, SmtpSetupError, SmtpUrl};
use super::template::one_line;
use super::{Accepted, Channel, Delivery, DeliveryError, Email, Message};
use crate::id::MessageId;

/// Sends each email through an SMTP server, as one multipart message (plain text and
/// HTML) from the firm's name and address, with a `Reply-To` when the email has one and
/// a `Message-ID` on the From address's domain made from the message's outbox id (the
/// same at every attempt, so that a message sent again is known as the same one).
///
/// The server's answer decides what the outbox does: a 2xx reply is recorded as
/// accepted, with its text; a 4xx reply, a server out of reach or a timeout is a
/// temporary failure, tried again later; a 5xx reply is a permanent one.
///
/// TLS is required unless the URL names a plain local relay ([`SmtpUrl`]); the
/// server's certificate is checked against Mozilla's roots, compiled in. Every header
/// value is put on one line first (a CR or LF becomes a space), so that no name or
/// subject can add a header of its own. One delivery is bounded by the URL's timeout
/// (15 s by default), connection included: a server that never answers is a
/// temporary [`DeliveryError`], never a stuck worker. Each
/// message gets a connection of its own. Text messages are refused: SMTP carries email.
///
/// ```
/// use portal_core::notify::SmtpDelivery;
/// use portal_core::{MemoryStore, Portal};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let smtp = SmtpDelivery::from_url("smtps://mailer:secret@smtp.example.com")?;
/// let portal = Portal::builder(MemoryStore::new()).delivery(smtp).build()?;
/// # drop(portal);
/// # Ok(()) }
/// ```
pub struct SmtpDelivery {
    url: SmtpUrl,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl SmtpDelivery {
    /// A delivery through the server `url` names.
    pub fn new(url: SmtpUrl) -> Result<SmtpDelivery, SmtpSetupError> {
        let tls = |host: &str| {
            TlsParameters::new(host.to_owned()).map_err(|e| SmtpSetupError::Tls(e.to_string()))
        };
        let tls = match url.security() {
            SmtpSecurity::StartTls => Tls::Required(tls(url.host())?),
            SmtpSecurity::Tls => Tls::Wrapper(tls(url.host())?),
            SmtpSecurity::Plain => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(url.host())
            .port(url.port())
            .tls(tls)
            .timeout(Some(url.timeout()));
        if let Some((user, password)) = url.credentials() {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(SmtpDelivery {
            transport: builder.build(),
            url,
        })
    }

    /// A delivery through the server named by `url` ([`SmtpUrl::parse`]).
    pub fn from_url(url: &str) -> Result<SmtpDelivery, SmtpSetupError> {
        SmtpDelivery::new(SmtpUrl::parse(url)?)
    }

    /// The server it sends through.
    #[must_use]
    pub fn url(&self) -> &SmtpUrl {
        &self.url
    }

    async fn send(&self, id: MessageId, email: &Email) -> Result<Accepted, DeliveryError> {
        let mail = compose(id, email)?;
        let sent = tokio::time::timeout(self.url.timeout(), self.transport.send(mail)).await;
        match sent {
            Ok(Ok(response)) => Ok(Accepted {
                reply: Some(format!(
                    "{} {}",
                    response.code(),
                    response.message().collect::<Vec<_>>().join(" ")
                )),
            }),
            Ok(Err(e)) if e.is_permanent() => Err(DeliveryError::permanent(format!(
                "SMTP server {}: {e}",
                self.url
            ))),
            Ok(Err(e)) => Err(failure(format!("SMTP server {}: {e}", self.url))),
            Err(_) => Err(failure(format!(
                "SMTP server {} did not finish within {} s",
                self.url,
                self.url.timeout().as_secs()
            ))),
        }
    }
}

impl fmt::Debug for SmtpDelivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpDelivery")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Delivery for SmtpDelivery {
    async fn deliver(&self, message: &Message) -> Result<Accepted, DeliveryError> {
        match &message.channel {
            Channel::Email(email) => self.send(message.id, email).await,
            Channel::Text(_) => Err(DeliveryError::permanent(
                "SMTP delivers email only: a text message needs a delivery of its own",
            )),
        }
    }
}

fn failure(reason: String) -> DeliveryError {
    DeliveryError::temporary(reason)
}

/// The MIME message for `email`, every header value on one line. What cannot be
/// composed never will be: a permanent failure.
fn compose(id: MessageId, email: &Email) -> Result<lettre::Message, DeliveryError> {
    let mailbox = |what: &str, value: &str| -> Result<Mailbox, DeliveryError> {
        one_line(value).parse::<Mailbox>().map_err(|e| {
            DeliveryError::permanent(format!("the {what} address cannot be sent to: {e}"))
        })
    };
    let from = mailbox("From", &email.from)?;
    let message_id = format!("<{}@{}>", id.as_uuid().simple(), from.email.domain());
    let mut builder = lettre::Message::builder()
        .to(mailbox("To", &email.to)?)
        .subject(one_line(&email.subject))
        .message_id(Some(message_id))
        .from(from);
    if let Some(reply_to) = &email.reply_to {
        builder = builder.reply_to(mailbox("Reply-To", reply_to)?);
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            email.html.clone(),
        ))
        .map_err(|e| DeliveryError::permanent(format!("the email cannot be composed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(from: &str, subject: &str, reply_to: Option<&str>) -> Email {
        Email {
            from: from.into(),
            reply_to: reply_to.map(Into::into),
            to: "jane@example.com".into(),
            subject: subject.into(),
            text: "Hello Jane,\n\nhttps://portal.example/portal/auth/link/abc".into(),
            html: "<p>Hello Jane</p>".into(),
        }
    }

    fn headers(mail: &lettre::Message) -> Vec<String> {
        let raw = String::from_utf8(mail.formatted()).unwrap();
        let head = raw.split("\r\n\r\n").next().unwrap().to_owned();
        head.split("\r\n")
            .filter(|l| !l.starts_with([' ', '\t']))
            .map(|l| l.split(':').next().unwrap().to_ascii_lowercase())
            .collect()
    }

    #[test]
    fn an_email_is_multipart_from_the_firm_with_its_reply_to_and_message_id() {
        let id = MessageId::from_bytes([0xab; 16]);
        let email = email(
            "\"Acme Accounting\" <hello@acme.example>",
            "Your login link for Acme Accounting",
            Some("hello@acme.example"),
        );
        let mail = compose(id, &email).unwrap();
        let raw = String::from_utf8(mail.formatted()).unwrap();
        assert!(
            raw.contains("From: \"Acme Accounting\" <hello@acme.example>"),
            "{raw}"
        );
        assert!(raw.contains("Reply-To: hello@acme.example"), "{raw}");
        assert!(raw.contains("Content-Type: multipart/alternative"), "{raw}");
        assert!(
            raw.contains("text/plain") && raw.contains("text/html"),
            "{raw}"
        );
        let header = raw
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: "))
            .unwrap();
        assert_eq!(header, format!("<{}@acme.example>", "ab".repeat(16)));
        assert_eq!(mail.envelope().to().len(), 1);
        // Composed again for another attempt, it keeps its Message-ID.
        let again = String::from_utf8(compose(id, &email).unwrap().formatted()).unwrap();
        assert!(again.contains(&format!("Message-ID: {header}")), "{again}");
    }

    #[test]
    fn line_breaks_in_any_header_value_add_no_header() {
        let id = MessageId::from_bytes([1; 16]);
        let mail = compose(
            id,
            &email(
                "\"Acme\r\nBcc: eve@evil.example\" <hello@acme.example>",
                "Login\r\nX-Injected: yes\nBcc: eve@evil.example",
                Some("hello@acme.example\r\nX-Reply: injected"),
            ),
        );
        // A value that stops being an address once on one line is refused for good, not
        // mangled.
        assert!(
            mail.is_err_and(|e| e.permanent),
            "the Reply-To address with a header in it"
        );
        let mail = compose(
            id,
            &email(
                "\"Acme\r\nBcc: eve@evil.example\" <hello@acme.example>",
                "Login\r\nX-Injected: yes\nBcc: eve@evil.example",
                None,
            ),
        )
        .unwrap();
        let names = headers(&mail);
        assert!(
            !names.iter().any(|n| n == "bcc" || n.starts_with("x-")),
            "{names:?}"
        );
        assert_eq!(mail.envelope().to().len(), 1, "no other recipient");
    }

    #[test]
    fn the_url_is_shown_without_its_password() {
        let d = SmtpDelivery::from_url("smtps://mailer:hunter2@smtp.example.com").unwrap();
        assert!(!format!("{d:?}").contains("hunter2"));
    }
}
