//! E-mail alerts through `[notify.smtp]` (to be written).
