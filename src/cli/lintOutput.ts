/** How `dropout-lens lint` prints its findings: text, JSON rows or SARIF 2.1.0. A notebook's findings carry their cell. */
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RULES } from '../analysis';
import { projectRoot } from '../session/projectRoot';
import type { Finding } from '../protocol/findings';

export type Format = 'text' | 'json' | 'sarif';

/** The README shipped with the CLI: each rule has a section whose anchor is its id (a link that resolves offline). */
function readmeUri(): string {
  return pathToFileURL(join(projectRoot(), 'README.md')).href;
}

/** A file as SARIF names it: relative to the working directory (%SRCROOT%) when inside it, else a file URI. */
function artifact(file: string): { uri: string; uriBaseId?: string } {
  return isAbsolute(file) ? { uri: pathToFileURL(file).href } : { uri: encodeURI(file), uriBaseId: SRCROOT };
}

const SRCROOT = '%SRCROOT%';

export interface Located {
  /** As shown: relative to the working directory when inside it, with forward slashes. */
  file: string;
  finding: Finding;
  /** 1-based cell of a notebook finding, whose lines are then within the cell. */
  cell?: number;
}

export function formatFindings(results: Located[], format: Format): string {
  if (format === 'text')
    return results
      .map(
        ({ file, cell, finding: f }) =>
          `${file}:${cell === undefined ? '' : `cell ${cell}:`}${f.range.start.line + 1}:${f.range.start.character + 1} ${f.rule} ${f.message}\n` +
          (f.related ?? [])
            .map(
              (r) =>
                `  see ${file}:${cell === undefined ? '' : `cell ${cell}:`}${r.range.start.line + 1}:${r.range.start.character + 1} ${r.message}\n`,
            )
            .join(''),
      )
      .join('');
  if (format === 'json') {
    const rows = results.map(({ file, cell, finding: f }) => ({
      file,
      ...(cell === undefined ? {} : { cell }),
      line: f.range.start.line + 1,
      column: f.range.start.character + 1,
      endLine: f.range.end.line + 1,
      endColumn: f.range.end.character + 1,
      rule: f.rule,
      severity: f.severity,
      message: f.message,
      ...(f.related
        ? {
            related: f.related.map((r) => ({
              line: r.range.start.line + 1,
              column: r.range.start.character + 1,
              message: r.message,
            })),
          }
        : {}),
    }));
    return JSON.stringify(rows, null, 2) + '\n';
  }
  return JSON.stringify(sarif(results), null, 2) + '\n';
}

function sarifLevel(severity: Finding['severity']): 'error' | 'warning' | 'note' {
  return severity === 'error' ? 'error' : severity === 'warning' ? 'warning' : 'note';
}

function sarif(results: Located[]): unknown {
  const README = readmeUri();
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'dropout-lens',
            informationUri: README,
            rules: RULES.map((r) => ({
              id: r.id,
              name: r.title
                .replace(/[^A-Za-z0-9]+/g, ' ')
                .trim()
                .split(' ')
                .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
                .join(''),
              shortDescription: { text: r.title },
              fullDescription: { text: r.description },
              helpUri: `${README}#${r.id}`,
              defaultConfiguration: { level: sarifLevel(r.severity) },
            })),
          },
        },
        originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(process.cwd() + '/').href } },
        results: results.map(({ file, cell, finding: f }) => ({
          ruleId: f.rule,
          ruleIndex: RULES.findIndex((r) => r.id === f.rule),
          level: sarifLevel(f.severity),
          // SARIF has no notion of a notebook cell: the region is within the cell, which the message names.
          message: { text: cell === undefined ? f.message : `cell ${cell}: ${f.message}` },
          ...(cell === undefined ? {} : { properties: { cell } }),
          ...(f.related
            ? {
                relatedLocations: f.related.map((r, id) => ({
                  id,
                  message: { text: r.message },
                  physicalLocation: { artifactLocation: artifact(file), region: sarifRegion(r.range) },
                })),
              }
            : {}),
          locations: [
            {
              physicalLocation: {
                artifactLocation: artifact(file),
                region: {
                  startLine: f.range.start.line + 1,
                  startColumn: f.range.start.character + 1,
                  endLine: f.range.end.line + 1,
                  endColumn: f.range.end.character + 1,
                },
              },
            },
          ],
          ...(f.fixes.length
            ? {
                fixes: f.fixes.map((fix) => ({
                  description: { text: fix.title },
                  artifactChanges: [
                    {
                      artifactLocation: artifact(file),
                      replacements: fix.edits.map((e) => ({
                        deletedRegion: {
                          startLine: e.range.start.line + 1,
                          startColumn: e.range.start.character + 1,
                          endLine: e.range.end.line + 1,
                          endColumn: e.range.end.character + 1,
                        },
                        insertedContent: { text: e.newText },
                      })),
                    },
                  ],
                })),
              }
            : {}),
        })),
      },
    ],
  };
}

function sarifRegion(range: Finding['range']) {
  return {
    startLine: range.start.line + 1,
    startColumn: range.start.character + 1,
    endLine: range.end.line + 1,
    endColumn: range.end.character + 1,
  };
}
