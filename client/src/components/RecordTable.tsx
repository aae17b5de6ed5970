import type { ReactNode } from 'react';

export interface Column<T> {
  key: string;
  label: string;
  value: (row: T) => ReactNode;
}

/** A table of records that turns into labelled cards on a phone (each cell carries its column's label). */
export function RecordTable<T>({
  columns,
  rows,
  rowKey,
  caption,
  testId,
  rowTestId,
}: {
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T, index: number) => string | number;
  caption: ReactNode;
  testId: string;
  rowTestId: string;
}) {
  return (
    <div className="table-wrap">
      <table className="table table-cards" data-testid={testId}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} scope="col">
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => (
            <tr key={rowKey(row, index)} data-testid={rowTestId}>
              {columns.map((c) => (
                <td key={c.key} data-label={c.label} data-column={c.key}>
                  {c.value(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
