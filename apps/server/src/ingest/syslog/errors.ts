// Error codes of the syslog receiver (transport framing; message grammar errors come from @meshlog/pipeline).

import { defineErrors } from "@meshlog/core";

export const SyslogErrors = defineErrors("syslog", {
  SYSLOG_FRAME_INVALID: {
    status: 400,
    description: "TCP framing is broken beyond recovery (e.g. an octet count longer than 10 digits); the connection is closed.",
  },
  SYSLOG_MESSAGE_TOO_LARGE: { status: 413, description: "A syslog message exceeds ingest.maxLineBytes; it is discarded and the stream continues after it." },
});
