// Entry for the browser-realm Sigstore test: the release verifier as the extension bundles it.
export { verifySigstoreBundle } from '../../src/release/sigstore';
export { verifyRelease } from '../../src/release/verify-release';
