import json
data = {"items": [{"id": i, "name": "item%d" % i, "tags": ["x"] * (i % 5), "v": i * 0.5} for i in range(2000)]}
s = json.dumps(data)
back = json.loads(s)
assert back == data
print(len(s))
