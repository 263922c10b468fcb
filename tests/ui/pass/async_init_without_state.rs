#![deny(warnings)]

use lambda_core::lambda;

async fn warm_up() -> Result<(), std::io::Error> {
    Ok(())
}

#[lambda(init = warm_up)]
async fn handler(event: String) -> String {
    event
}
