import { defineErrors } from "../../http/errors.js";

export const fileErrors = defineErrors({
  notFound: { code: "file.not_found", status: 404, title: "No such file" },
  tooLarge: { code: "file.too_large", status: 413, title: "The file is too large for its purpose" },
  tooManyPixels: {
    code: "file.too_many_pixels",
    status: 422,
    title: "The image has more pixels than accepted",
  },
  unsupportedType: {
    code: "file.unsupported_type",
    status: 415,
    title: "This kind of file is not accepted here",
  },
  heicUnsupported: {
    code: "file.heic_unsupported",
    status: 415,
    title: "HEIC/HEIF photos are not accepted; send JPEG",
  },
  missingPart: { code: "file.missing_part", status: 400, title: "The upload lacks the file or its purpose" },
  malformed: {
    code: "file.malformed_multipart",
    status: 400,
    title: "The multipart body cannot be read",
  },
  notMultipart: { code: "file.not_multipart", status: 415, title: "Uploads must be multipart/form-data" },
  wrongPurpose: {
    code: "file.wrong_purpose",
    status: 422,
    title: "This file was uploaded for another purpose",
  },
  alreadyAttached: {
    code: "file.already_attached",
    status: 409,
    title: "This file is already used elsewhere",
  },
  linkInvalid: { code: "file.link_invalid", status: 403, title: "The file link is invalid or has expired" },
});
