dto! {
    /// An error, as `application/problem+json` (RFC 9457).
    pub struct Problem {
        /// A URI naming the kind of problem; stable, safe to branch on.
        #[serde(rename = "type")]
        pub problem_type: String,
        /// Short human summary of the kind of problem.
        pub title: String,
        /// The HTTP status code.
        pub status: u16,
        /// What went wrong this time, in plain words.
        pub detail: String,
        /// The machine-readable code (the last segment of `type`), e.g. `invalid_credentials`.
        pub code: String,
        /// The request id, to quote to support; it is in the server's logs too.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub request_id: Option<String>,
        /// The input rows refused, each with its line (`rejected_rows`): the first 100 by line.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(max_items = 100))]
        pub rejected: Option<Vec<crate::numbers::RejectedRow>>,
        /// How many input rows were refused in all (`rejected_rows`); `rejected` lists at most
        /// 100 of them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub rejected_count: Option<u32>,
    }
}
