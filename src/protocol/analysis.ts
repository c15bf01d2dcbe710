/**
 * The analysis worker's protocol: the extension host asks for a document's findings, the worker answers.
 * Open documents keep an incremental analyzer in the worker, so each request carries the edits made since
 * the previous request for that document, in order, and the text they lead to.
 */
import type { Finding, RuleId, Severity } from './findings';

/** Which rules run and at what severity (the user's settings). */
export interface AnalyzeOptions {
  rules?: Partial<Record<RuleId, boolean>>;
  severities?: Partial<Record<RuleId, Severity>>;
}

/** One edit of the previous text: `rangeLength` characters at `rangeOffset` replaced by `text`. */
export interface DocumentEdit {
  rangeOffset: number;
  rangeLength: number;
  text: string;
}

export type AnalysisRequest =
  | {
      type: 'analyze';
      id: number;
      /** The open document's key (its URI): its analyzer is kept for the next request. Absent: a one-off file. */
      document?: string;
      fileName: string;
      edits: DocumentEdit[];
      text: string;
      options: AnalyzeOptions;
    }
  /** The document was closed (or left analysis): its analyzer and syntax tree can go. */
  | { type: 'forget'; document: string };

export type AnalysisReply =
  { type: 'findings'; id: number; findings: Finding[] } | { type: 'failed'; id: number; message: string };
