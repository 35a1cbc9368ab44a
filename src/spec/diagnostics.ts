/** A located problem in a spec or profile. Errors stop rendering; warnings do not (unless --strict). */
export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  /** Stable kebab-case code, e.g. `pool-too-small`. Tests assert codes and positions, not wording. */
  code: string;
  message: string;
  file: string;
  line: number;
  col: number;
  /** Path into the document, e.g. `network.dhcp.pool`. */
  path: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.severity} ${d.code}: ${d.message}`;
}

export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.code.localeCompare(b.code),
  );
}

/** Thrown for user mistakes (bad spec, missing file): the CLI prints it without a stack trace. */
export class SpecError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'SpecError';
  }
}
