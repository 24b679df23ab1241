import root from '../../package.json' with { type: 'json' };

/**
 * The release: the root package.json's `version`, in `/health` and in `--version` of the server and the
 * agent. Imported (not read from disk at run time) so that the bundles carry it wherever they run.
 */
export const version: string = root.version;
