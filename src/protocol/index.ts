export * from './modelSpec';
export * from './findings';
export * from './engine';
export * from './webview';
export * from './analysis';
export * from './validate';
