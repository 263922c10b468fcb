use lambda_core::lambda;

struct Service;

impl Service {
    #[lambda]
    fn handler(event: String) -> String {
        event
    }
}
