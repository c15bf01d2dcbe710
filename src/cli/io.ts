/** Where a subcommand writes: the terminal from the CLI, buffers in tests. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
}
