//! `warta`: parse the command line, run, map the result to an exit status (0 done,
//! 1 failed, 2 usage). Nothing here panics on user input; errors are one message on stderr.

use std::process::ExitCode;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[global_allocator]
static ALLOC: warta::alloc::KeepLarge = warta::alloc::KeepLarge::new();

fn main() -> ExitCode {
    warta::ingest::tune_allocator();
    let code = warta::cli::main();
    ExitCode::from(code)
}
