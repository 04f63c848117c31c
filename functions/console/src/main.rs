//! `console`: the console's files (docs/SPEC.md §20), compiled in. It reads nothing but the
//! request's path: no table, no key, no AWS client at all (a template test holds it to no
//! permission). Its logic is `shared::functions::console`.

use lambda_http::{Error, Request, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    run(service_fn(|req: Request| async move {
        Ok::<_, Error>(shared::functions::console::answer(&req))
    }))
    .await
}
