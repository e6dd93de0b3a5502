/**
 * The reference bundle of the cold-start ratios (BENCHMARKS.md, "Cold start, per function"): the card's minimal
 * stack for one endpoint. It imports only @middy/core, zod and the DynamoDB document client, builds the client at
 * module load as the functions do, and does one GetItem. bench/cold-start.ts bundles it with serverless.yml's
 * `custom.esbuild` settings in the same run as the functions, so a ratio compares like with like.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import * as z from 'zod';

const doc = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    region: process.env.AWS_REGION,
    ...(process.env.DYNAMODB_ENDPOINT
      ? { endpoint: process.env.DYNAMODB_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  }),
);
const pathSchema = z.object({ id: z.string().min(1).max(64) });

export const handler = middy(async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
  const parsed = pathSchema.safeParse(event.pathParameters ?? {});
  if (!parsed.success) return { statusCode: 400, body: JSON.stringify({ error: parsed.error.issues[0]?.message }) };
  const { Item } = await doc.send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: { pk: parsed.data.id, sk: 'ITEM' } }));
  return Item ? { statusCode: 200, body: JSON.stringify(Item) } : { statusCode: 404, body: '' };
});
