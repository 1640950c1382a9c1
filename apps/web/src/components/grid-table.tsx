// The app's data table: a header row and body rows (the rows are the children).

import type { ReactNode } from "react";

export function GridTable({ headers, testId, children }: { headers: readonly string[]; testId?: string; children: ReactNode }) {
  return (
    <table className="grid" data-testid={testId}>
      <thead>
        <tr>
          {headers.map((h, i) => (
            <th key={i}>{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}
