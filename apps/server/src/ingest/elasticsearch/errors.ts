// Error codes of the Elasticsearch-compatible receiver.

import { defineErrors } from "@meshlog/core";

export const ElasticsearchErrors = defineErrors("ingest/elasticsearch", {
  ES_BULK_INVALID: {
    status: 400,
    description: "A _bulk body is malformed as a whole (bad action line, missing source, no trailing newline); the message names the line.",
  },
  ES_DOCUMENT_INVALID: { status: 400, description: "A single-document request (/{index}/_doc) has a body that is not a JSON object or cannot be stored." },
});
