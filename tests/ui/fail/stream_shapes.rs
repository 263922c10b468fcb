use lambda_core::{ResponseStream, lambda};

mod no_stream_parameter {
    use lambda_core::lambda;

    #[lambda(stream)]
    fn handler(_event: String) {}
}

mod not_a_stream {
    use lambda_core::lambda;

    #[lambda(stream)]
    fn handler(_event: String, _out: &mut Vec<u8>) {}
}

mod returns_a_response {
    use lambda_core::{ResponseStream, lambda};

    #[lambda(stream)]
    fn handler(event: String, _out: &mut ResponseStream) -> Result<String, std::io::Error> {
        Ok(event)
    }
}

#[lambda(stream)]
fn handler(event: String, _out: &mut ResponseStream) -> String {
    event
}
