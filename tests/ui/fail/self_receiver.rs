use lambda_core::lambda;

struct Service;

impl Service {
    #[lambda]
    fn handler(&self, event: String) -> String {
        event
    }
}
