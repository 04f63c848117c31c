//! `authorizer`: wiring only; the logic is `shared::functions::authorizer`.

use aws_lambda_events::apigw::ApiGatewayCustomAuthorizerRequestTypeRequest;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use shared::AppState;
use shared::functions::authorizer::authorize;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let state = AppState::from_env().await?;
    let store = &state.store;
    run(service_fn(
        move |event: LambdaEvent<ApiGatewayCustomAuthorizerRequestTypeRequest>| async move {
            Ok::<_, Error>(authorize(store, event.payload).await?)
        },
    ))
    .await
}
