import { Readable } from "node:stream";
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { create as contentDisposition } from "content-disposition";
import { encodeKey, type StorageDriver, StorageNotFoundError, type StoredObject } from "./storage.js";

export interface S3StorageOptions {
  bucket: string;
  region: string;
  /** For S3-compatible servers (MinIO, R2, a local fake); AWS itself needs none. */
  endpoint?: string | undefined;
  forcePathStyle: boolean;
  /** Without both keys the SDK's default credential chain applies (environment, profile, instance role). */
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  /** Where public objects are served from (a CDN), instead of the bucket's own URL. */
  publicBaseUrl?: string | undefined;
  /** Keys per ListObjectsV2 request; S3 caps and defaults it at 1000. Smaller pages are for tests. */
  listPageSize?: number | undefined;
}

export function createS3Storage(
  options: S3StorageOptions,
): StorageDriver & { ensureBucket(): Promise<void> } {
  const { bucket, region } = options;
  const config: S3ClientConfig = { region, forcePathStyle: options.forcePathStyle };
  if (options.endpoint) {
    config.endpoint = options.endpoint;
    // Since SDK 3.729 every upload carries CRC32 checksum headers by default, which several S3-compatible
    // servers reject (aws/aws-sdk-js-v3#6810); they also leak into presigned URLs as x-amz-checksum-mode.
    config.requestChecksumCalculation = "WHEN_REQUIRED";
    config.responseChecksumValidation = "WHEN_REQUIRED";
  }
  if (options.accessKeyId && options.secretAccessKey) {
    config.credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey };
  }
  const client = new S3Client(config);
  const objectBaseUrl = bucketUrl(options);

  return {
    name: "s3",

    async put(key, body, { contentType, size }) {
      // Upload reads the body in 5 MiB parts (at most four in flight, multipart above one part), so memory
      // stays bounded whatever the object size.
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: key, Body: body, ContentType: contentType, ContentLength: size },
      });
      await upload.done();
    },

    async get(key) {
      let output: GetObjectCommandOutput;
      try {
        output = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        if (isNotFound(error)) throw new StorageNotFoundError(key);
        throw error;
      }
      if (!(output.Body instanceof Readable)) {
        throw new Error(`S3 returned no readable body for ${key}`);
      }
      return { body: output.Body, size: output.ContentLength ?? 0 };
    },

    async stat(key) {
      try {
        const output = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return { size: output.ContentLength ?? 0 };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async delete(key) {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        // S3 answers 204 for a missing key; some compatible servers answer 404.
        if (!isNotFound(error)) throw error;
      }
    },

    async *list(): AsyncGenerator<StoredObject> {
      let continuationToken: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            ContinuationToken: continuationToken,
            MaxKeys: options.listPageSize,
          }),
        );
        for (const object of page.Contents ?? []) {
          if (object.Key !== undefined) yield { key: object.Key, size: object.Size ?? 0 };
        }
        continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (continuationToken);
    },

    publicUrl(key) {
      return `${options.publicBaseUrl ? options.publicBaseUrl.replace(/\/+$/, "") : objectBaseUrl}/${encodeKey(key)}`;
    },

    async signedUrl(key, { expiresAt, contentType, downloadName }) {
      const command = new GetObjectCommand({
        Bucket: bucket,
        Key: key,
        ResponseContentType: contentType,
        ResponseContentDisposition: downloadName === undefined ? undefined : contentDisposition(downloadName),
      });
      const expiresIn = Math.max(1, Math.ceil((expiresAt.getTime() - Date.now()) / 1000));
      return getSignedUrl(client, command, { expiresIn });
    },

    async ensureBucket() {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
        return;
      } catch (error) {
        if (!isMissingBucket(error)) throw error;
      }
      try {
        await client.send(
          new CreateBucketCommand({
            Bucket: bucket,
            // us-east-1 is the default location and S3 rejects it when named explicitly.
            ...(region === "us-east-1"
              ? {}
              : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
          }),
        );
      } catch (error) {
        // Another process may have created it between the two requests.
        if (
          !(error instanceof S3ServiceException) ||
          (error.name !== "BucketAlreadyOwnedByYou" && error.name !== "BucketAlreadyExists")
        ) {
          throw error;
        }
      }
    },
  };
}

/**
 * A missing object. A missing bucket is a configuration error and must not pass for one, wherever S3 says
 * which it is (HEAD responses carry no error body, so there the two look alike).
 */
function isNotFound(error: unknown): boolean {
  if (!(error instanceof S3ServiceException) || error.name === "NoSuchBucket") return false;
  return error.name === "NoSuchKey" || error.name === "NotFound" || error.$metadata.httpStatusCode === 404;
}

function isMissingBucket(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  return error.name === "NoSuchBucket" || error.name === "NotFound" || error.$metadata.httpStatusCode === 404;
}

/** The URL objects of the bucket live under, without a trailing slash. */
function bucketUrl(options: S3StorageOptions): string {
  const encodedBucket = encodeURIComponent(options.bucket);
  if (options.endpoint) {
    const endpoint = new URL(options.endpoint);
    const path = endpoint.pathname.replace(/\/+$/, "");
    if (options.forcePathStyle) return `${endpoint.origin}${path}/${encodedBucket}`;
    return `${endpoint.protocol}//${encodedBucket}.${endpoint.host}${path}`;
  }
  if (options.forcePathStyle) return `https://s3.${options.region}.amazonaws.com/${encodedBucket}`;
  return `https://${encodedBucket}.s3.${options.region}.amazonaws.com`;
}
