/**
 * Which files the analysis reads, by name (and, for JSON, by a glance at the text). No parser is loaded
 * here, so the extension host can decide what to send to the analysis worker without loading one.
 */
export const CONFIG_FILE_PATTERN = /\.dropout\.(ya?ml|json)$/i;

export function isConfigFile(fileName: string): boolean {
  return CONFIG_FILE_PATTERN.test(fileName);
}

export function isPythonFile(fileName: string): boolean {
  return !isConfigFile(fileName) && /\.pyi?$/i.test(fileName);
}

/** What `model.to_json()` writes has these keys; any other JSON is not ours to read. */
export function looksLikeKerasJson(text: string): boolean {
  return text.includes('"class_name"') && text.includes('"layers"');
}

export function isNotebookFile(fileName: string): boolean {
  return /\.ipynb$/i.test(fileName);
}

/** Without `text`, a JSON file counts as analysable until its text says otherwise. */
export function isAnalyzable(fileName: string, text?: string): boolean {
  if (isConfigFile(fileName) || isPythonFile(fileName)) return true;
  if (/\.json$/i.test(fileName)) return text === undefined ? true : looksLikeKerasJson(text);
  return false;
}
