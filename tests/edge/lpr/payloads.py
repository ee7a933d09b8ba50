"""Push payloads written from the vendors' published documents (field names and shapes as documented).

* Vzenith (臻识): the HTTP push protocol's ``AlarmInfoPlate`` example (``PlateResult`` with license,
  colorType, confidence, imageFile, plateid, isoffline, timeStamp.Timeval) and its multipart heartbeat.
* Hikvision (海康): ISAPI ``XML_EventNotificationAlert_ANPR`` (eventType ANPR, ANPR.licensePlate,
  confidenceLevel, plateColor, pictureInfoList), as multipart with its pictures, and the periodic
  ``videoloss``/``inactive`` alert used as a heartbeat.
* Dahua (大华 ITC, ITSAPI platform push): no vendor document is public; the ``TollgateInfo`` JSON
  (``Picture.Plate``/``SnapInfo``/``NormalPic``/``Vehicle``) as two open-source receivers parse it
  (madcat1991/safewheels-dahua app/core/anpr.py; a Node receiver of /NotificationInfo/TollgateInfo).
* HuaXia (华夏智信, HTTP POST 模式5): the form fields (type, plate_num, plate_color, start_time,
  cam_id, cam_ip, picture/closeup_pic in the vendor's URL-safe base64) as two open-source receivers
  take them (a Django ``camera_post`` view; MaterialClient's CallDeviceMessageHuaXiaZhiXing).
"""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import cv2
import numpy as np


def jpeg(width: int = 64, shade: int = 90) -> bytes:
    image = np.full((width * 3 // 4, width, 3), shade, np.uint8)
    ok, data = cv2.imencode(".jpg", image)
    assert ok
    return data.tobytes()


def vzenith(license_: str = "浙A12345", *, confidence: int = 96, color: int = 1, plate_type: int = 1,
            picture: bytes | None = None, plateid: int = 21085, offline: int = 0) -> bytes:
    plate = {
        "bright": 0, "carBright": 0, "carColor": 255, "colorType": color, "colorValue": 0,
        "confidence": confidence, "direction": 4, "license": license_,
        "imageFile": base64.b64encode(picture).decode() if picture else "",
        "imageFileLen": len(picture) if picture else 0,
        "imageFragmentFile": "", "imageFragmentFileLen": 0,
        "isoffline": offline, "plateid": plateid,
        "gioouts": [{"ctrltype": 0, "ionum": "0"}],
        "location": {"RECT": {"bottom": 674, "left": 1002, "right": 1263, "top": 565}},
        "timeStamp": {"Timeval": {"decday": 9, "dechour": 16, "decmin": 39, "decmon": 6, "decsec": 54,
                                  "decyear": 2023, "sec": 1686299994, "usec": 687772}},
        "timeUsed": 0, "triggerType": 4, "type": plate_type,
    }
    body = {"AlarmInfoPlate": {"channel": 0, "deviceName": "R5-V1.0", "ipaddr": "192.168.55.131",
                               "result": {"PlateResult": plate}, "rule_id": 1,
                               "serialno": "fe71e106-57263272", "user_data": ""}}
    return json.dumps(body, ensure_ascii=False).encode()


def vzenith_heartbeat() -> tuple[bytes, str]:
    boundary = "------------------------caa771fe4a61f3d9"
    fields = {"device_name": "IVS", "ipaddr": "192.168.109.40", "port": "80", "user_name": "admin",
              "pass_wd": "admin", "serialno": "d85b1269-8f942256", "channel_num": "1"}
    body = "".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                   for k, v in fields.items()) + f"--{boundary}--\r\n"
    return body.encode(), f"multipart/form-data; boundary={boundary}"


ANPR_XML = """<?xml version="1.0" encoding="UTF-8"?>
<EventNotificationAlert version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
<ipAddress>192.168.1.64</ipAddress>
<portNo>80</portNo>
<protocol>HTTP</protocol>
<macAddress>44:19:b6:6c:7a:01</macAddress>
<channelID>1</channelID>
<dateTime>2026-03-01T22:41:07+08:00</dateTime>
<activePostCount>1</activePostCount>
<eventType>ANPR</eventType>
<eventState>active</eventState>
<eventDescription>ANPR</eventDescription>
<channelName>north-in</channelName>
<ANPR>
<country>3</country>
<licensePlate>{plate}</licensePlate>
<line>1</line>
<direction>forward</direction>
<confidenceLevel>{confidence}</confidenceLevel>
<plateType>92TypeCivil</plateType>
<plateColor>{colour}</plateColor>
<licenseBright>0</licenseBright>
<vehicleType>vehicle</vehicleType>
<detectDir>8</detectDir>
<pictureInfoList>
<pictureInfo><fileName>licensePlatePicture.jpg</fileName><type>licensePlatePicture</type><dataType>0</dataType></pictureInfo>
<pictureInfo><fileName>detectionPicture.jpg</fileName><type>detectionPicture</type><dataType>0</dataType></pictureInfo>
</pictureInfoList>
</ANPR>
<UUID>b6a1c0a2-6ad4-11ee-8000-4419b66c7a01</UUID>
<picNum>2</picNum>
<isDataRetransmission>{resent}</isDataRetransmission>
</EventNotificationAlert>
"""

HEARTBEAT_XML = """<EventNotificationAlert version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
<ipAddress>192.168.1.64</ipAddress><portNo>80</portNo><protocol>HTTP</protocol>
<channelID>1</channelID><dateTime>2026-03-01T22:41:37+08:00</dateTime><activePostCount>1</activePostCount>
<eventType>videoloss</eventType><eventState>inactive</eventState><eventDescription>videoloss alarm</eventDescription>
</EventNotificationAlert>"""


def hikvision_xml(plate: str = "浙A12345", confidence: int = 98, colour: str = "blue", resent: str = "false") -> bytes:
    return ANPR_XML.format(plate=plate, confidence=confidence, colour=colour, resent=resent).encode()


def hikvision_multipart(scene: bytes, crop: bytes, **fields) -> tuple[bytes, str]:
    boundary = "MIME_boundary"
    parts = [(b'Content-Disposition: form-data; name="anpr.xml"; filename="anpr.xml"\r\n'
              b"Content-Type: text/xml\r\n", hikvision_xml(**fields)),
             (b'Content-Disposition: form-data; name="licensePlatePicture.jpg"; filename="licensePlatePicture.jpg"\r\n'
              b"Content-Type: image/jpeg\r\n", crop),
             (b'Content-Disposition: form-data; name="detectionPicture.jpg"; filename="detectionPicture.jpg"\r\n'
              b"Content-Type: image/jpeg\r\n", scene)]
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + head + b"\r\n" + data + b"\r\n" for head, data in parts)
    return body + b"--" + boundary.encode() + b"--\r\n", f"multipart/form-data; boundary={boundary}"


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<EventNotificationAlert><eventType>ANPR</eventType><ANPR><licensePlate>&lol2;</licensePlate></ANPR></EventNotificationAlert>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<EventNotificationAlert><eventType>ANPR</eventType><ANPR><licensePlate>&xxe;</licensePlate></ANPR></EventNotificationAlert>"""


def dahua(plate: str = "浙A12345", *, confidence: int = 92, colour: str = "Blue", picture: bytes | None = None,
          exists: bool = True) -> bytes:
    body = {"Picture": {
        "Plate": {"BoundingBox": [4968, 5592, 5496, 5816], "Channel": 0, "Confidence": confidence,
                  "IsExist": exists, "PlateColor": colour, "PlateNumber": plate, "PlateType": "Normal",
                  "Region": "CHN", "UploadNum": 11},
        "SnapInfo": {"AccurateTime": "2026-03-01 22:41:07.520", "AllowUser": True, "BlockUser": False,
                     "DeviceID": "ITC-north-in", "Direction": "Approach", "TimeZone": 13},
        "Vehicle": {"VehicleColor": "White", "VehicleSeries": "", "VehicleSign": "Toyota", "VehicleType": "SaloonCar"},
        "NormalPic": {"Content": base64.b64encode(picture).decode() if picture else "", "PicName": "normal.jpg"}}}
    return json.dumps(body, ensure_ascii=False).encode()


DAHUA_KEEPALIVE = json.dumps({"DeviceID": "ITC-north-in", "Time": "2026-03-01 22:41:37"}).encode()


def huaxia_b64(data: bytes) -> str:
    return base64.b64encode(data).decode().translate(str.maketrans("+/=", "-_."))


def huaxia(plate: str = "浙A12345", *, kind: str = "online", colour: str = "蓝色", picture: bytes | None = None,
           closeup: bytes | None = None) -> tuple[bytes, str]:
    fields = {"type": kind, "plate_num": plate, "plate_color": colour, "car_logo": "大众", "car_color": "白色",
              "vehicle_type": "小型车", "start_time": "1772376067", "park_id": "pingan-2", "cam_id": "0C:B1:44:01:02:03",
              "cam_ip": "192.168.1.65", "picture": huaxia_b64(picture) if picture else "",
              "closeup_pic": huaxia_b64(closeup) if closeup else ""}
    return urlencode(fields).encode(), "application/x-www-form-urlencoded"


def huaxia_heartbeat() -> tuple[bytes, str]:
    return urlencode({"type": "heartbeat", "cam_id": "0C:B1:44:01:02:03", "cam_ip": "192.168.1.65"}).encode(), \
        "application/x-www-form-urlencoded"
