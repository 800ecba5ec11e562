//! E-mail alerts through `[notify.smtp]` (placeholder until merged).

use super::SendError;
use crate::config::SmtpConfig;

pub struct Mail<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub key: &'a str,
}

pub struct Mailer;

impl Mailer {
    pub fn new(_cfg: &SmtpConfig) -> Result<Mailer, String> {
        Err("e-mail is not built yet".into())
    }

    pub async fn send(&self, _mail: &Mail<'_>) -> Result<(), SendError> {
        Err(SendError::permanent("e-mail is not built yet"))
    }
}
