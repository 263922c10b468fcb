#![deny(warnings)]

use lambda_core::lambda;

pub struct Settings {
    pub greeting: String,
}

async fn setup() -> Settings {
    Settings { greeting: "hello".to_owned() }
}

#[lambda(init = setup)]
fn handler(name: String, settings: &Settings) -> String {
    format!("{}, {name}", settings.greeting)
}
