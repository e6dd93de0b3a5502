/**
 * The few names of the KMS SDK the sealer uses. lib/secrets/seal.ts imports this module lazily: a dynamic import of
 * the SDK itself would bundle all of it, while named imports here let esbuild drop the commands nobody sends.
 */
export { DecryptCommand, GenerateDataKeyCommand, InvalidCiphertextException, KMSClient } from '@aws-sdk/client-kms';
