"""The Python reference for the cold-start benchmark: the same GET as the get-source function.

What a typical Python Lambda does: one boto3 client built at import (init), one strongly consistent
GetItem per request, the secrets left out of the answer.
"""

import json
import os

import boto3

TABLE = os.environ["TABLE_NAME"]
# The endpoint comes from AWS_ENDPOINT_URL_DYNAMODB, as for the Rust functions.
DYNAMODB = boto3.client("dynamodb")


def handler(event, context):
    account = event["requestContext"]["authorizer"]["accountId"]
    source_id = event["pathParameters"]["id"]
    found = DYNAMODB.get_item(
        TableName=TABLE,
        Key={"PK": {"S": f"ACCOUNT#{account}"}, "SK": {"S": f"SOURCE#{source_id}"}},
        ConsistentRead=True,
    )
    item = found.get("Item")
    if item is None:
        return {"statusCode": 404, "body": json.dumps({"errors": ["source not found"]})}
    source = {
        "id": source_id,
        "source": item["source"]["S"],
        "source_type": item["source_type"]["S"],
        "require_token": item["require_token"]["BOOL"],
        "created_at": item["created_at"]["S"],
        "updated_at": item["updated_at"]["S"],
    }
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"source": source}),
    }
