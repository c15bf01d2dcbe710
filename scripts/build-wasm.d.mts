export declare const WASM_MODULES: ReadonlyArray<{ wat: string; out: string; name: string; fused?: boolean }>;
export declare function fuseMultiplyAdds(source: string): string;
export declare function assemble(source: string, filename?: string, relaxed?: boolean): Promise<Uint8Array>;
export declare function generatedModule(bytes: Uint8Array, name: string, watPath: string): string;
export declare function buildAll(): Promise<
  Array<{ wat: string; out: string; name: string; fused?: boolean; text: string }>
>;
