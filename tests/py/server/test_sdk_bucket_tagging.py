"""Bucket tagging with the official SDK (qcloud_cos 1.9.44) against the local server:
put_bucket_tagging (which sends Content-MD5), get_bucket_tagging, delete_bucket_tagging, COS's
limits and codes (50 tags, InvalidTag, NoSuchTagSet from GET and NoSuchTagSetError from
DELETE on a bucket without tags), the tags
going with delete_bucket, and list_buckets(TagKey=..., TagValue=...), which the SDK sends as
GET Service's tagkey/tagvalue (through the server as its HTTP proxy: list_buckets always asks
service.cos.myqcloud.com). On the disk store and the memory store."""

from test_sdk_buckets import fresh, listed, proxy_client, service_error
from server_helpers import ip_client



def tagging(*pairs):
    return {"TagSet": {"Tag": [{"Key": k, "Value": v} for k, v in pairs]}}


def tags_of(client, bucket):
    got = client.get_bucket_tagging(Bucket=bucket)
    return [(t["Key"], t.get("Value") or "") for t in got["TagSet"]["Tag"]]


def test_bucket_tags_round_trip(any_server):
    client = ip_client(any_server)
    name = fresh("tagged")
    client.create_bucket(Bucket=name)
    assert service_error(lambda: client.get_bucket_tagging(Bucket=name)) == (404, "NoSuchTagSet")
    assert service_error(lambda: client.delete_bucket_tagging(Bucket=name)) == (
        404,
        "NoSuchTagSetError",
    )
    pairs = [("age", "18"), ("name", "xiao ming"), ("部门", "云 存储:/@")]
    assert client.put_bucket_tagging(Bucket=name, Tagging=tagging(*pairs)) is None
    assert tags_of(client, name) == pairs
    # A new set replaces the old one.
    client.put_bucket_tagging(Bucket=name, Tagging=tagging(("team", "storage")))
    assert tags_of(client, name) == [("team", "storage")]
    assert client.delete_bucket_tagging(Bucket=name) is None
    assert service_error(lambda: client.get_bucket_tagging(Bucket=name)) == (404, "NoSuchTagSet")


def test_bucket_tag_limits(any_server):
    client = ip_client(any_server)
    name = fresh("limits")
    client.create_bucket(Bucket=name)
    fifty = [(f"k{i}", f"v{i}") for i in range(50)]
    client.put_bucket_tagging(Bucket=name, Tagging=tagging(*fifty))
    assert tags_of(client, name) == fifty
    for bad in (
        fifty + [("k50", "v")],
        [("a", "1"), ("a", "2")],
        [("k" * 129, "v")],
        [("k", "v" * 257)],
        [("k", "a#b")],
        [("qcs:project", "x")],
        [("project", "x")],
    ):
        err = service_error(lambda: client.put_bucket_tagging(Bucket=name, Tagging=tagging(*bad)))
        assert err == (400, "InvalidTag"), bad[:2]
    # Nothing refused changed the tags.
    assert tags_of(client, name) == fifty


def test_list_buckets_by_tag_and_delete_bucket_takes_the_tags(any_server):
    client = ip_client(any_server)
    via_proxy = proxy_client(any_server)
    red, blue, both = fresh("red"), fresh("blue"), fresh("both")
    for b in (red, blue, both):
        client.create_bucket(Bucket=b)
    key = fresh("colour")  # a tag key no other test uses
    client.put_bucket_tagging(Bucket=red, Tagging=tagging((key, "red")))
    client.put_bucket_tagging(Bucket=blue, Tagging=tagging((key, "blue")))
    client.put_bucket_tagging(Bucket=both, Tagging=tagging(("env", "test"), (key, "red")))
    assert sorted(listed(via_proxy, TagKey=key, TagValue="red")) == sorted([red, both])
    assert list(listed(via_proxy, TagKey=key, TagValue="blue")) == [blue]
    assert listed(via_proxy, TagKey=key, TagValue="green") == {}
    # Without the filter, all three are there.
    assert {red, blue, both} <= set(listed(via_proxy))
    # Deleted, then created again: the new bucket has no tags, and no filter finds it.
    client.delete_bucket(Bucket=both)
    assert list(listed(via_proxy, TagKey=key, TagValue="red")) == [red]
    client.create_bucket(Bucket=both)
    assert service_error(lambda: client.get_bucket_tagging(Bucket=both)) == (404, "NoSuchTagSet")
    assert list(listed(via_proxy, TagKey=key, TagValue="red")) == [red]
