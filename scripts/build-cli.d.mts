/** The path of the built CLI (dist/cli.cjs). */
export declare const CLI_BUNDLE: string;
/** Builds the CLI into {@link CLI_BUNDLE}. */
export declare function buildCli(): Promise<void>;
