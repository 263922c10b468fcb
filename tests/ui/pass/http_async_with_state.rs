use lambda_core::http::{Request, Response};
use lambda_core::lambda;

struct Greeting(&'static str);

async fn setup() -> Greeting {
    Greeting("hello")
}

#[lambda(http, init = setup)]
async fn handler(_: Request<()>, greeting: &Greeting) -> Response<&'static str> {
    Response::new(greeting.0)
}
