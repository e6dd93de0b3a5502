import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { conditionHeld } from '../../../lib/store/errors';

const refused = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

describe('conditionHeld', () => {
  it('is true when the write went through', async () => {
    await expect(conditionHeld(Promise.resolve({}))).resolves.toBe(true);
  });

  it('is false when DynamoDB refused the write on its condition', async () => {
    await expect(conditionHeld(Promise.reject(refused()))).resolves.toBe(false);
  });

  it('throws any other failure as it came: a fault is not a refusal', async () => {
    const fault = Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' });
    await expect(conditionHeld(Promise.reject(fault))).rejects.toBe(fault);
  });
});
