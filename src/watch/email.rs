//! E-mail alerts through `[notify.smtp]`: one plain-text message an alert, sent with lettre
//! over STARTTLS (or in the clear to a local relay when `starttls = false`).

use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::SendError;
use crate::config::SmtpConfig;

/// Long enough for a slow relay, short enough that one that hangs does not hold up the outbox.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Lets a script or a filter tell warta's alerts apart and see which alert a message is.
const KEY_HEADER: HeaderName = HeaderName::new_from_ascii_str("X-Warta-Key");

/// One alert to send.
pub struct Mail<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    /// The alert's idempotency key: the same over retries, so it makes the Message-ID and a
    /// resent alert is the same message to mail clients.
    pub key: &'a str,
}

/// A relay ready to take alerts; set up once, since it reads the password and the CA file.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// `host:port`, as errors name the relay.
    relay: String,
    /// Kept only to scrub it from errors: a relay may quote what it was sent.
    password: Option<String>,
    starttls: bool,
}

impl Mailer {
    /// `Err` says what is missing or wrong (the password's variable or file, the CA file),
    /// never a secret.
    pub fn new(cfg: &SmtpConfig) -> Result<Mailer, String> {
        let relay = format!("{}:{}", cfg.host, cfg.port);
        let from: Mailbox = cfg.from.parse().map_err(|e| {
            format!(
                "notify.smtp.from {:?} is not an e-mail address ({e})",
                cfg.from
            )
        })?;
        let password = match &cfg.password {
            Some(p) => Some(p.read_as("password")?),
            None => None,
        };
        let tls = if cfg.starttls {
            Tls::Required(tls_parameters(cfg, &relay)?)
        } else {
            Tls::None
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.host)
            .port(cfg.port)
            .tls(tls)
            .timeout(Some(TIMEOUT));
        if let (Some(user), Some(password)) = (&cfg.user, &password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
            relay,
            password,
            starttls: cfg.starttls,
        })
    }

    pub async fn send(&self, mail: &Mail<'_>) -> Result<(), SendError> {
        let to: Mailbox = mail.to.parse().map_err(|e| {
            SendError::permanent(format!("{:?} is not an e-mail address ({e})", mail.to))
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .message_id(Some(format!("<{}@{}>", mail.key, self.from.email.domain())))
            .raw_header(HeaderValue::new(KEY_HEADER, mail.key.to_string()))
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.to_string())
            .map_err(|e| SendError::permanent(format!("cannot build the e-mail alert: {e}")))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) => Err(self.describe(&e)),
        }
    }

    /// A 5xx reply is the relay's final word on this message; everything else (4xx, the
    /// network, TLS, a timeout) may pass.
    fn describe(&self, e: &lettre::transport::smtp::Error) -> SendError {
        let relay = &self.relay;
        let cause = innermost(e);
        let error = match e.status() {
            Some(code) if e.is_permanent() => SendError::permanent(format!(
                "the relay {relay} refused the e-mail for good ({code}): {cause}"
            )),
            Some(code) => SendError::transient(format!(
                "the relay {relay} refused the e-mail for now ({code}): {cause}"
            )),
            None if e.is_timeout() => SendError::transient(format!(
                "the relay {relay} did not answer within {} s",
                TIMEOUT.as_secs()
            )),
            // lettre says so only in words; with Tls::Required this is before any AUTH or mail.
            None if e.is_client() && cause.contains("STARTTLS") => SendError::transient(format!(
                "the relay {relay} does not offer STARTTLS, which notify.smtp requires \
                 (starttls = true); nothing was sent"
            )),
            // lettre reports a failed handshake as a connection error; tokio-rustls gives the
            // rustls error as InvalidData.
            None if self.starttls
                && (e.is_tls() || io_kind(e) == Some(std::io::ErrorKind::InvalidData)) =>
            {
                let hint = if cause.contains("UnknownIssuer") {
                    "; its certificate is signed by a CA that neither the system nor \
                     notify.smtp.ca_file trusts"
                } else {
                    ""
                };
                SendError::transient(format!(
                    "the TLS handshake with the relay {relay} failed: {cause}{hint}"
                ))
            }
            None => SendError::transient(format!(
                "the connection to the relay {relay} failed: {cause}"
            )),
        };
        match &self.password {
            Some(p) if error.message.contains(p.as_str()) => SendError {
                message: error.message.replace(p.as_str(), "…"),
                ..error
            },
            _ => error,
        }
    }
}

/// The deepest cause's words: lettre's own Display repeats every layer ("Connection error:
/// Connection error: …").
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cause = c.source();
    }
    None
}

/// The relay's certificate is checked against the system's roots and the CA file's.
fn tls_parameters(cfg: &SmtpConfig, relay: &str) -> Result<TlsParameters, String> {
    let mut builder = TlsParameters::builder(cfg.host.clone());
    if let Some(path) = &cfg.ca_file {
        let file = path.display();
        let pem = std::fs::read(path)
            .map_err(|e| format!("cannot read notify.smtp.ca_file {file}: {e}"))?;
        // lettre takes a file without any certificate as no extra root, silently.
        if !pem
            .windows(b"-----BEGIN CERTIFICATE-----".len())
            .any(|w| w == b"-----BEGIN CERTIFICATE-----")
        {
            return Err(format!(
                "notify.smtp.ca_file {file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
            ));
        }
        let cert = Certificate::from_pem(&pem)
            .map_err(|e| format!("notify.smtp.ca_file {file} is not a PEM certificate: {e}"))?;
        builder = builder.add_root_certificate(cert);
    }
    builder.build().map_err(|e| match &cfg.ca_file {
        Some(path) => format!(
            "cannot set up TLS for the relay {relay} with notify.smtp.ca_file {}: {e}",
            path.display()
        ),
        None => format!("cannot set up TLS for the relay {relay}: {e}"),
    })
}
